"""Theme tokens of the product's dark look, in one place (DESIGN.md, Look)."""

OBSIDIAN = "#050505"  # page
ONYX = "#0D0D0D"  # sections
GRAPHITE = "#1A1A1A"  # cards
GUNMETAL = "#2A2A2A"  # borders
CHARCOAL = "#333333"
PLATINUM = "#E5E7EB"  # headings
SILVER = "#9CA3AF"  # body
MIST = "#6B7280"  # muted
NEON_BLUE = "#3B82F6"  # primary
ELECTRIC_BLUE = "#2563EB"  # hover
AUTOMATION_GREEN = "#10B981"  # success / CTA
WARNING_AMBER = "#F59E0B"
ALERT_RED = "#EF4444"
RADIUS = "6px"
FONT = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

ROLE_COLORS = {"admin": "amber", "manager": "blue", "enablement": "green", "rep": "gray"}
