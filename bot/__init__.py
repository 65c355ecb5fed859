"""The shell: settings, the aiohttp app, provider channels, the staff API and web pages, the CLI."""
