"""Domain services: the operations on tasks, webhooks, keys and reports. No GraphQL, no Dramatiq."""
