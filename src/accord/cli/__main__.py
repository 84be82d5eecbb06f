from accord.cli import app

app()
