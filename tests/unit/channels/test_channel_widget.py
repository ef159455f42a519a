"""The website widget's channel (bot/channels/widget.py): tokens minted by the server, the
socket's room and the typing indicator (the real server: tests/e2e/test_channel_widget.py)."""
import asyncio

import pytest
import socketio

from bot.channels.session_tokens import SessionTokens
from bot.channels.widget import WidgetInput

SECRET = "s" * 40


# --- Tokens (plain Python) ---------------------------------------------------------

def test_a_minted_token_names_a_new_random_conversation_and_can_be_refreshed():
    tokens = SessionTokens(SECRET)
    first, second = tokens.mint(), tokens.mint()
    assert first.conversation_id != second.conversation_id and first.conversation_id.startswith("widget-")
    assert tokens.conversation_of(first.token) == first.conversation_id
    refreshed = tokens.mint(tokens.conversation_of(first.token))
    assert refreshed.conversation_id == first.conversation_id


@pytest.mark.parametrize("token", ["\uda00", "é" * 10, "abc\udcff.def.ghi", "\x00", 12, None, ["a"]])
def test_a_token_that_is_not_ascii_text_names_no_conversation_and_raises_nothing(token):
    # Found by the fuzzing of POST /webhooks/widget/session: a lone surrogate made PyJWT raise (a 500).
    assert SessionTokens(SECRET).conversation_of(token) is None


def test_expired_forged_or_foreign_tokens_name_no_conversation():
    now = [1_000_000.0]
    tokens = SessionTokens(SECRET, lifetime_seconds=60, clock=lambda: now[0])
    session = tokens.mint()
    now[0] += 61
    assert tokens.conversation_of(session.token) is None
    assert SessionTokens("x" * 40).conversation_of(SessionTokens(SECRET).mint().token) is None
    import jwt
    for claims in ({"sub": "app-alice", "aud": "mediation-accueil-widget", "exp": 2**40},  # not a widget id
                   {"sub": "widget-1", "aud": "someone-else", "exp": 2**40},
                   {"sub": "widget-1", "aud": "mediation-accueil-widget"}):  # no expiry
        assert SessionTokens(SECRET).conversation_of(jwt.encode(claims, SECRET, algorithm="HS256")) is None
    unsigned = jwt.encode({"sub": "widget-1", "aud": "mediation-accueil-widget", "exp": 2**40}, None, algorithm="none")
    assert SessionTokens(SECRET).conversation_of(unsigned) is None
    assert SessionTokens(SECRET).conversation_of(None) is None and SessionTokens(SECRET).conversation_of("x" * 5000) is None


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError):
        SessionTokens("short")


def test_the_socket_joins_its_room_even_when_enter_room_is_a_coroutine():
    """python-socketio >= 5.10 made enter_room a coroutine; Rasa's channel forgot to await
    it and every reply was dropped (RasaHQ/rasa#13027). Ours awaits it when needed."""
    channel = WidgetInput(SessionTokens(SECRET))
    channel.blueprint(on_new_message=None)  # registers the socket.io handlers
    sio = channel.sio
    joined, sessions = [], {}

    async def enter_room(sid, room, namespace=None):  # the >= 5.10 signature: a coroutine
        joined.append((sid, room))

    async def save_session(sid, data, namespace=None):
        sessions[sid] = data

    sio.enter_room, sio.save_session = enter_room, save_session
    connect = sio.handlers["/"]["connect"]
    token = channel.tokens.mint()
    asyncio.run(connect("sid-1", {}, {"token": token.token}))
    assert joined == [("sid-1", token.conversation_id)]
    assert sessions["sid-1"] == {"conversation_id": token.conversation_id}
    with pytest.raises(socketio.exceptions.ConnectionRefusedError):
        asyncio.run(connect("sid-2", {}, {"token": "forged"}))
    with pytest.raises(socketio.exceptions.ConnectionRefusedError):
        asyncio.run(connect("sid-3", {}, None))


def test_the_typing_indicator_stays_on_until_the_last_turn_in_progress_ends():
    """Two messages sent together: the second waits for the first one's turn. « L'assistant
    écrit… » must not go off when the first turn ends, only when the last one does."""
    channel = WidgetInput(SessionTokens(SECRET))
    release = {"first": asyncio.Event(), "second": asyncio.Event()}
    emitted = []

    async def on_new_message(message):
        await release[message.text].wait()
        await message.output_channel.send_response(message.sender_id, {"text": f"réponse {message.text}"})

    channel.blueprint(on_new_message=on_new_message)
    sio = channel.sio

    async def emit(event, data, room=None, to=None, **kwargs):
        emitted.append((event, data.get("typing", data.get("text"))))

    async def get_session(sid, namespace=None):
        return {"conversation_id": "widget-abc"}

    sio.emit, sio.get_session = emit, get_session
    user_uttered = sio.handlers["/"]["user_uttered"]

    async def scenario():
        first = asyncio.ensure_future(user_uttered("sid", {"message": "first"}))
        second = asyncio.ensure_future(user_uttered("sid", {"message": "second"}))
        await asyncio.sleep(0.05)
        release["first"].set()
        await first
        await asyncio.sleep(0.05)
        assert ("bot_typing", False) not in emitted  # the second turn is still on its way
        release["second"].set()
        await second

    asyncio.run(scenario())
    assert emitted == [("bot_typing", True), ("bot_typing", True), ("bot_uttered", "réponse first"),
                       ("bot_uttered", "réponse second"), ("bot_typing", False)]
    assert channel.turns_in_progress == {}


# --- The real server on loopback ---------------------------------------------------
