"""Writing specs for people: `charter init` (a new governance repository) and
`charter new usecase` (a use case spec inferred from its data)."""
