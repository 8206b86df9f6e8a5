"""The HTTP side: the chat-completions client, its wire models and the stream folding.
Knows nothing of Textual or of the app's core."""

# The provider this client is made for: the default of every profile and of the client.
DEFAULT_BASE_URL = "https://api.red-pill.ai/v1"
