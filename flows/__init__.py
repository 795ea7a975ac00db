"""Prefect flows, tasks, deployments, the CLI and its settings."""
