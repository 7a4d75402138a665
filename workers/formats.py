"""What a change looks like in each chat: Slack, Microsoft Teams and Discord bodies, user text escaped.

Each chat has its own markup, so text that came from people (titles, messages, the board's
name) is escaped for the one it goes to:
* Slack (incoming webhooks, mrkdwn): `&`, `<` and `>` as entities, as Slack's message
  formatting asks; nothing else can make a link or a mention.
* Discord (webhooks, its markdown): markdown's punctuation backslash-escaped, and
  `allowed_mentions` empty, so no text pings @everyone or a role. Within Discord's limits:
  content 2000 characters, an embed's title 256 and description 4096.
* Microsoft Teams (Workflows webhooks, an Adaptive Card 1.4): user text only in a
  RichTextBlock's TextRun, which Adaptive Cards never read as markdown.
Limits are kept by clipping (with "…"), never by failing the send.
"""

from flask import url_for

SLACK_SECTION_MAX = 3000
DISCORD_CONTENT_MAX = 2000
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_MARKUP = set("\\*_~`|>#-[]()<@")
# Colours by the state of what changed (Discord's embed colour; a level's usual colour).
COLOURS = {"down": 0xD93025, "major": 0xD93025, "critical": 0xD93025, "warning": 0xF29900, "minor": 0xF29900,
           "resolved": 0x188038, "normal": 0x188038, "up": 0x188038}


def clip(text, limit):
    """`text` cut to at most `limit` characters, "…" marking a cut; never ends inside an escape."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    tail = len(cut) - len(cut.rstrip("\\"))
    if tail % 2:  # a lone backslash would escape the "…"
        cut = cut[:-1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:  # an entity cut in half
        cut = cut[:amp]
    return cut + "…"


def slack_escape(text):
    """Slack's three control characters, escaped as its message format asks."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def discord_escape(text):
    """Discord's markdown and mention punctuation, backslash-escaped."""
    return "".join("\\" + char if char in DISCORD_MARKUP else char for char in str(text))


def parts(payload, summary):
    """(title, text, level) of a change, for people; `summary` is the one line it falls back to."""
    kind = payload.get("type")
    if kind == "status":
        service, status = payload["service"]["name"], payload["status"]
        title = f"Note on {service}" if payload.get("informational") else f"{service} is {status.get('name')}"
        return title, payload.get("message") or "", status.get("level") or status.get("id")
    if kind == "incident":
        incident, update = payload["incident"], payload.get("update") or {}
        state = str(update.get("state") or incident.get("state") or "")
        return f"{incident['title']} ({state.replace('_', ' ')})", update.get("message") or "", state
    if kind == "maintenance":
        window = payload["maintenance"]
        return f"Maintenance {window.get('state', '').replace('_', ' ')}: {window['title']}", summary, None
    return summary, "", None


def links_for(payload, manage_token=None):
    """[(label, absolute URL)] a message carries: the incident's page, and the channel's manage page.
    Needs a request context (url_for builds absolute URLs from it)."""
    links = []
    if payload.get("type") == "incident":
        links.append(("View the incident", url_for("site.incident", incident_id=payload["incident"]["id"],
                                                   _external=True)))
    if manage_token:
        links.append(("Change services or unsubscribe", url_for("subscribe.manage_channel", token=manage_token,
                                                                 _external=True)))
    return links


def slack(line, links=(), markup=None):
    """An incoming-webhook body: `text` (the notification's fallback) and blocks, with `links`
    beneath; `markup`, when given, is mrkdwn already escaped that stands for `line`."""
    text = clip(markup if markup is not None else slack_escape(line), SLACK_SECTION_MAX)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if links:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"<{url}|{slack_escape(label)}>"} for label, url in links]})
    return {"text": text, "blocks": blocks}


def discord(site, title, text, level=None, links=()):
    """A webhook body: a short `content` line and one embed, mentions switched off."""
    description = clip(discord_escape(text), DISCORD_DESCRIPTION_MAX - 400)
    footer = "\n".join(f"[{discord_escape(label)}]({url})" for label, url in links)
    embed = {"title": clip(discord_escape(title), DISCORD_TITLE_MAX),
             "description": clip("\n\n".join(part for part in (description, footer) if part), DISCORD_DESCRIPTION_MAX)}
    if links and links[0][0] == "View the incident":
        embed["url"] = links[0][1]
    if level in COLOURS:
        embed["color"] = COLOURS[level]
    content = clip(discord_escape(f"{site} status: {title}"), DISCORD_CONTENT_MAX)
    return {"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}}


def _run(text, **style):
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": str(text), **style}]}


def teams(site, title, text, links=()):
    """A Workflows webhook body: one message carrying an Adaptive Card 1.4."""
    body = [_run(f"{site} status", size="Small", isSubtle=True), _run(title, weight="Bolder", size="Medium")]
    if text:
        body.append(_run(text))
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    if links:
        card["actions"] = [{"type": "Action.OpenUrl", "title": label, "url": url} for label, url in links]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def chat(fmt, site, title, text, level=None, links=()):
    """The body of a message to a chat channel (`fmt`: slack, teams or discord)."""
    if fmt == "slack":
        return slack(title, links, f"*{slack_escape(title)}*\n{slack_escape(text)}" if text else None)
    if fmt == "teams":
        return teams(site, title, text, links)
    return discord(site, title, text, level, links)
