"""Asks the gateway through the official OpenAI SDK (pip install openai), plain and streaming.

  ORK_BASE_URL  the gateway's OpenAI-compatible base (default http://localhost:3000/v1)
  ORK_API_KEY   a client key from POST /api/keys; any value when API_KEY_AUTH_ENABLED=false
  ORK_MODEL     any OpenRouter model id
  ORK_PROMPT    the question
"""
import os
import sys

import openai
from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("ORK_BASE_URL", "http://localhost:3000/v1"),
    api_key=os.environ.get("ORK_API_KEY", "unused"),
)
model = os.environ.get("ORK_MODEL", "meta-llama/llama-4-maverick:free")
prompt = os.environ.get("ORK_PROMPT", "Hello, how are you?")

try:
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
    )
    print(completion.choices[0].message.content)

    # Streaming: deltas as they arrive; queue-position comments are skipped by the SDK.
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        stream=True,
    )
    for chunk in stream:
        if chunk.choices:
            print(chunk.choices[0].delta.content or "", end="", flush=True)
    print()
except openai.RateLimitError as err:
    print(f"rate limited, retry after {err.response.headers.get('retry-after')} s: {err.message}", file=sys.stderr)
    sys.exit(1)
except openai.APIError as err:
    print(f"error: {err.message}", file=sys.stderr)
    sys.exit(1)
