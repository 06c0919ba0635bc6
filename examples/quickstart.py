"""A complete live-chat proxy: ``uvicorn examples.quickstart:app``.

Configured by BOTCOPY_ACCESS_TOKEN (webhook calls), BOTCOPY_API_KEY and
BOTCOPY_BASE_URL (pushes). Its "desk" is an agent written right here, Dana:
she joins after each handover, echoes what the customer says, and hands the
chat back to the bot when the customer says "bye".
"""

from botcopy_handover import AsyncHandlerContext, CustomerMessage, HandoverRequest, Pause, Webhook
from botcopy_handover.webhook import asgi_app


async def join(context: AsyncHandlerContext) -> None:
    await context.conversation.pause(agent_name="Dana")  # "You are now chatting with Dana"
    await context.conversation.send_message("Hi, I'm Dana. How can I help?")


async def answer(context: AsyncHandlerContext, text: str) -> None:
    await context.conversation.typing()  # "Dana is typing..."
    await context.conversation.send_message(f"Dana here, you said: {text}")
    if text.strip().lower() == "bye":
        await context.conversation.resume()  # back to the bot, default unpause event


async def on_handover(event: HandoverRequest, context: AsyncHandlerContext) -> Pause:
    context.after_reply(join, context)  # runs once Botcopy has its reply
    return Pause(minutes=30)


async def on_customer_message(event: CustomerMessage, context: AsyncHandlerContext) -> Pause:
    context.after_reply(answer, context, event.text)
    return Pause(minutes=30)


app = asgi_app(Webhook(), on_handover, on_customer_message, path="/botcopy")
