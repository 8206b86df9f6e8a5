"""Plain-Python core: conversations, storage, exports. Nothing here imports Textual."""
