"""Asks the gateway one question with requests and prints the answer.

  ORK_BASE_URL  the gateway's OpenAI-compatible base (default http://localhost:3000/v1)
  ORK_API_KEY   a client key from POST /api/keys; any value when API_KEY_AUTH_ENABLED=false
  ORK_MODEL     any OpenRouter model id
  ORK_PROMPT    the question
"""
import os
import sys

import requests

base_url = os.environ.get("ORK_BASE_URL", "http://localhost:3000/v1").rstrip("/")
api_key = os.environ.get("ORK_API_KEY", "unused")
model = os.environ.get("ORK_MODEL", "meta-llama/llama-4-maverick:free")
prompt = os.environ.get("ORK_PROMPT", "Hello, how are you?")

response = requests.post(
    f"{base_url}/chat/completions",
    headers={"Authorization": f"Bearer {api_key}"},
    json={"model": model, "messages": [{"role": "user", "content": prompt}]},
    # Requests wait in the gateway's queue until a key may start them: allow for that.
    timeout=660,
)
if not response.ok:
    # Every error is OpenAI-shaped; a 429 also says when to retry.
    message = response.json().get("error", {}).get("message", response.text)
    retry = response.headers.get("Retry-After")
    print(f"HTTP {response.status_code}: {message}" + (f" (retry after {retry} s)" if retry else ""), file=sys.stderr)
    sys.exit(1)
print(response.json()["choices"][0]["message"]["content"])
