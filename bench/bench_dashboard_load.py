"""Dashboard time to interactive and the JS/CSS it loads, in headless Chromium on loopback.

Interactive means: the dashboard's own data is on screen (the welcome heading is rendered only
after the server-side session check and the summary query). Cold samples load with the HTTP
cache disabled (a first visit); warm samples reuse it (a returning user). The baseline, measured
in the same run on the same loads, is the browser's DOMContentLoaded: the floor set by fetching
and parsing the HTML, before our websocket and database work.
Target (issue #2): interactive in under 1 s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.support.app_server import CHROMIUM, CHROMIUM_ARGS, running_app
from tests.support.seed import Seeder

SAMPLES = 15
EMAIL, PASSWORD = "dash@quotahit.test", "timing the cold start"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    """Serve the production build, log in once, then time cold loads of /dashboard."""
    with tempfile.TemporaryDirectory() as data, running_app(Path(data)) as app:
        Seeder(app.database_url).organization(
            name="Bench Co", email=EMAIL, password=PASSWORD, person="Bench Mark"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            login = browser.new_page()
            login.goto(f"{app.url}/login")
            login.locator("#email").fill(EMAIL)
            login.locator("#password").fill(PASSWORD)
            login.locator("#login-submit").click()
            login.wait_for_selector("#dashboard-welcome", timeout=30_000)
            storage = login.context.storage_state()
            login.close()

            results: dict[str, tuple[list[float], list[float]]] = {}
            for cache in ("cold", "warm"):
                interactive, dom_ready = [], []
                context = browser.new_context(storage_state=storage)
                for _ in range(SAMPLES + 1):
                    page = context.new_page()
                    if cache == "cold":
                        cdp = context.new_cdp_session(page)
                        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                    page.goto(f"{app.url}/dashboard", wait_until="commit")
                    page.wait_for_selector("#dashboard-welcome", timeout=30_000)
                    interactive.append(page.evaluate("performance.now()"))
                    dom_ready.append(
                        page.evaluate(
                            "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                        )
                    )
                    page.close()
                context.close()
                # The first load warms the server and the cache; it is not averaged in.
                results[cache] = (interactive[1:], dom_ready[1:])
            # Bytes are counted on a separate load: reading bodies would slow the timed ones.
            context = browser.new_context(storage_state=storage)
            page = context.new_page()
            context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
            sizes = {"script": 0, "stylesheet": 0}
            page.on(
                "response",
                lambda response: (
                    sizes.__setitem__(
                        response.request.resource_type,
                        sizes.get(response.request.resource_type, 0) + len(response.body()),
                    )
                    if response.request.resource_type in sizes
                    else None
                ),
            )
            page.goto(f"{app.url}/dashboard")
            page.wait_for_selector("#dashboard-welcome", timeout=30_000)
            page.wait_for_load_state("networkidle")
            js_bytes, css_bytes = sizes["script"], sizes["stylesheet"]
            context.close()
            browser.close()
        for cache, (interactive, dom_ready) in results.items():
            p50, base50 = statistics.median(interactive), statistics.median(dom_ready)
            p90, base90 = _percentile(interactive, 0.9), _percentile(dom_ready, 0.9)
            print(
                f"BENCH dashboard_interactive_{cache}_p50 {p50:.0f} ms "
                f"baseline {base50:.0f} ratio {p50 / base50:.2f}"
            )
            print(
                f"BENCH dashboard_interactive_{cache}_p90 {p90:.0f} ms "
                f"baseline {base90:.0f} ratio {p90 / base90:.2f}"
            )
        print(f"BENCH dashboard_js_bytes {js_bytes} bytes")
        print(f"BENCH dashboard_css_bytes {css_bytes} bytes")


if __name__ == "__main__":
    main()
