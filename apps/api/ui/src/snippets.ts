/** What to paste where, for a newly issued client key. `base` is the service's OpenAI-compatible base URL. */
export interface Snippet {
  id: string;
  title: string;
  text: string;
}

export function clientKeySnippets(base: string, key: string): Snippet[] {
  return [
    {
      id: 'node',
      title: 'OpenAI SDK (JavaScript)',
      text: `import OpenAI from 'openai';\n\nconst client = new OpenAI({\n  baseURL: '${base}',\n  apiKey: '${key}',\n});`,
    },
    {
      id: 'python',
      title: 'OpenAI SDK (Python)',
      text: `from openai import OpenAI\n\nclient = OpenAI(\n    base_url="${base}",\n    api_key="${key}",\n)`,
    },
    {
      id: 'n8n',
      title: 'n8n (OpenAI credential)',
      text: `API Key:  ${key}\nBase URL: ${base}`,
    },
    {
      id: 'curl',
      title: 'curl',
      text: `curl ${base}/chat/completions \\\n  -H 'Authorization: Bearer ${key}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"model": "meta-llama/llama-4-maverick:free", "messages": [{"role": "user", "content": "Hello"}]}'`,
    },
  ];
}
