"""Blocking: turning trader records into candidate pairs."""
