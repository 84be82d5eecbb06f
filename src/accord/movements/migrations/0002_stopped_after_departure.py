from django.db import migrations


class Migration(migrations.Migration):
    """A hold is not the only thing that stops a person in the air: a return or a withdrawal does too."""

    dependencies = [("movements", "0001_initial")]

    operations = [
        migrations.RenameField(
            model_name="manifestentry", old_name="hold_after_departure", new_name="stopped_after_departure"
        ),
    ]
