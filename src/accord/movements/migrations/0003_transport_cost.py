from django.db import migrations, models


class Migration(migrations.Migration):
    """The movement's transport cost as the carrier gives it, charged to the payer at departure."""

    dependencies = [("movements", "0002_stopped_after_departure")]

    operations = [
        migrations.AddField(
            model_name="movement", name="transport_cost_minor", field=models.BigIntegerField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="movement",
            name="transport_currency",
            field=models.CharField(blank=True, default="", max_length=3),
        ),
    ]
