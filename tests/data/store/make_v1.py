"""How ``conversation-v1.json`` was made: run with the code of commit 4cc9801 (the last
one writing format version 1), from the repository root:

    PYTHONPATH=. python tests/data/store/make_v1.py

Five turns sent for real (a loopback server, the core's send path as the app drives it):
tools and ``n=2``, a tool call answered with a tool result, an edited message (truncate
and resend), a regenerated reply (the earlier one kept), a changed system prompt and
temperature, and a final turn that failed with an HTTP error.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.loopback import LoopbackServer, Reply, chunk, text_stream
from tui.api.client import ChatClient
from tui.core.conversation import Conversation
from tui.core.store import save_file
from tui.core.tools import ToolSettings, ToolSpec

OUT = Path(__file__).with_name("conversation-v1.json")


async def send(client, conv, text_or_messages, upto=None, again=None):
    msgs = (
        [{"role": "user", "content": text_or_messages}]
        if isinstance(text_or_messages, str)
        else text_or_messages
    )
    request = conv.build(msgs, upto=upto)
    if upto is not None:
        conv.truncate(upto)
    turn = conv.start_turn(msgs, request)
    if again is not None:
        turn.earlier = again.all_replies()
        turn.reply_no = len(turn.earlier)
    _, exchange = await client.chat(request, turn.live)
    turn.record_exchange(exchange)
    turn.finish(turn.live)
    return turn


async def main() -> None:
    with LoopbackServer() as server:
        client = ChatClient(server.base_url, key_env=None, max_retries=0)
        conv = Conversation(
            id="fixture-v1",
            model="test-model",
            system="You are terse.",
            params={"stream": True, "stream_options": {"include_usage": True}, "n": 2},
            toolset=ToolSettings(
                specs=[
                    ToolSpec(
                        name="get_weather",
                        description="Weather for a city",
                        parameters='{"type": "object", "properties": {"city": {"type": "string"}}}',
                    )
                ],
                choice="auto",
            ),
        )
        two = [chunk(i, "", role="assistant") for i in range(2)]
        two += [chunk(0, "Hello! ¿Qué tal? ☃"), chunk(1, "Hi.")]
        two += [chunk(0, finish="stop"), chunk(1, finish="stop"), "[DONE]"]
        server.enqueue(Reply.sse(two))
        await send(client, conv, "Say hello")
        conv.turns[0].chosen = 1
        conv.params["n"] = 1
        call = [
            chunk(0, "", role="assistant"),
            chunk(
                0,
                tool_calls=[
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            ),
            chunk(0, finish="tool_calls"),
            "[DONE]",
        ]
        server.enqueue(Reply.sse(call))
        turn = await send(client, conv, "Weather in Oslo?")
        turn.tool_results["call_1"] = "sunny, 3 °C"
        server.enqueue(Reply.sse(text_stream("It is sunny and 3 °C in Oslo.")))
        await send(
            client, conv, [{"role": "tool", "tool_call_id": "call_1", "content": "sunny, 3 °C"}]
        )
        server.enqueue(Reply.sse(text_stream("Bergen: rain, as ever.")))
        await send(client, conv, "And Bergen?")
        # edit "And Bergen?" and resend from there
        server.enqueue(Reply.sse(text_stream("Trondheim: snow.")))
        await send(client, conv, "And Trondheim?", upto=3)
        # regenerate it with another temperature and system prompt: the first reply is kept
        conv.params["temperature"] = 0.2
        conv.system = "You are very terse."
        server.enqueue(Reply.sse(text_stream("Snow.")))
        await send(client, conv, "And Trondheim?", upto=3, again=conv.turns[3])
        conv.toolset.choice = ""
        server.enqueue(
            Reply.json(
                {"error": {"message": "model overloaded", "type": "server_error"}}, status=503
            )
        )
        await send(client, conv, "Thanks!")
        await client.aclose()
    save_file(conv, OUT)
    doc = json.loads(OUT.read_text())
    print(OUT, len(doc["turns"]), "turns")


if __name__ == "__main__":
    asyncio.run(main())
