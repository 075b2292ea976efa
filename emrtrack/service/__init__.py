"""The use cases: one function per command (`commands`), and where the register lives (`registers`)."""
