"""chaperone: a guardrail gateway for AI agents that call AWS, as mitmproxy addons."""
