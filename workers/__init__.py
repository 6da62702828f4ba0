"""What runs a task: Dramatiq broker and actors, the runner, executors, scheduler, webhook delivery."""
