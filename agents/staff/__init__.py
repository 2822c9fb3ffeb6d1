"""The staff desk, surface-neutral: order cards with buttons, button payloads, the handoff
inbox and the command parser. The staff page (bot/staff) and a Telegram staff bot render the
same cards and send presses and commands to the same ``StaffDesk``."""
