from dedup_cli import run

run()
