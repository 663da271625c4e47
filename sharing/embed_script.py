"""The embed host script at `/js/embed.js`, served like the tracking script at `/js/script.js`."""

from analytics.script import script_view

embed_script = script_view("js/embed.js")
