"""Where a long reply may be cut into separate Markdown pieces."""

from tui.core.blocks import first_cut, inside_fence, split_markdown

TEXT = "para one\n\n```python\nx = 1\n\ny = 2\n```\n\npara two\n\n~~~\ncode\n\n~~~\n\nlast"


def test_fences_are_tracked_by_their_own_marker():
    assert inside_fence("```python\nx\n")
    assert not inside_fence("```python\nx\n```\n")
    assert inside_fence("````\n```\n")  # a shorter fence does not close a longer one
    assert inside_fence("```\n~~~\n")  # nor does the other marker


def test_cuts_only_after_blank_lines_outside_code():
    cuts = []
    pos = 0
    while (cut := first_cut(TEXT, pos + 1)) is not None:
        cuts.append(cut)
        pos = cut
    pieces = [TEXT[a:b] for a, b in zip([0, *cuts], [*cuts, len(TEXT)], strict=True)]
    assert pieces == [
        "para one\n\n",
        "```python\nx = 1\n\ny = 2\n```\n\n",
        "para two\n\n",
        "~~~\ncode\n\n~~~\n\n",
        "last",
    ]


def test_split_keeps_every_character_and_each_piece_is_whole():
    text = TEXT * 40
    parts = split_markdown(text, 200)
    assert "".join(parts) == text
    assert len(parts) > 5
    for part in parts:
        assert not inside_fence(part)
        assert len(part) >= 200 or part is parts[-1]


def test_text_without_a_safe_cut_stays_whole():
    text = "```\n" + "line\n\n" * 100  # an unclosed fence: no safe point
    assert split_markdown(text, 50) == [text]


def test_fences_inside_list_items_and_inline_triple_backticks():
    item = "10. Step:\n\n    ```python\n    a = 1\n\n"
    assert inside_fence(item)  # indented past three spaces, still a fence
    assert first_cut(item + "b = 2\n    ```\n\nnext", 5) == len(item + "b = 2\n    ```\n\n")
    assert not inside_fence("```x``` is inline code\n\n")


def test_no_cut_before_an_indented_continuation_or_at_the_very_end():
    text = "1. item\n\n   continued item text\n\nafter"
    assert first_cut(text, 1) == text.index("after")
    assert first_cut("para\n\n", 1) is None  # what follows is not known yet
