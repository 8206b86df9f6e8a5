"""The chat screen's parts: running a turn, editing, replies and tools (mixins)."""
