"""The GraphQL face of Taskloom (Strawberry): types, queries, mutations and their plumbing."""
