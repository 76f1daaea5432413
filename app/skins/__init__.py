"""Skins: the front ends (mobile apps, web sites) that share this API (docs/SKINS.md).

A client names its skin in the X-App-Id header; the skin decides which characters and products
the client is shown and which browser origins may call the API (CORS). Skins are configured at
start-up (SKINS_FILE or SKINS_JSON); with none configured there is one implicit skin that shows
everything.
"""
