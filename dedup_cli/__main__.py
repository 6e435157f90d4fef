from dedup_cli import app

app()
