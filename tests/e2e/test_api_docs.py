"""A back-office developer reads the API documentation the portal serves at /api/v1/docs/:
every operation of the live schema listed, each with its examples, nothing fetched from
anywhere but the portal, usable from the keyboard, and to the portal's standard (axe-core) as
first shown, with operations open (and one tried out), and with the Authorize dialog open."""

import json
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.browser import assert_accessible, axe_violations

pytestmark = pytest.mark.browser

DOCS = "/api/v1/docs/"
SCHEMA = "/api/v1/schema/?format=json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The portal's focus ring (static/css/portal.css, static/api/docs.css).
FOCUS_RING = {"outlineStyle": "solid", "outlineWidth": "3px", "outlineColor": "rgb(255, 191, 71)"}
FOCUS_STYLE = """() => {
    const style = getComputedStyle(document.activeElement);
    return {outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
            outlineColor: style.outlineColor};
}"""


def live_operations(page, live_server) -> dict[str, dict]:
    """The live schema's operations by operationId, each with its method and path."""
    schema = page.request.get(live_server.url + SCHEMA).json()
    return {
        operation["operationId"]: {**operation, "method": method, "path": path}
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def open_docs(page, live_server) -> None:
    """Open the documentation and wait for Swagger UI to draw it from the schema."""
    # Swagger UI fades some colours in; axe reads a page as it is at one instant.
    page.emulate_media(reduced_motion="reduce")
    page.goto(live_server.url + DOCS)
    expect(page.locator(".opblock").first).to_be_visible()


def operation_button(page, summary: str):
    """The button that opens an operation, found by its summary as a reader sees it."""
    return page.get_by_role("button", name=re.compile(re.escape(summary) + "$"))


def expand(page, summary: str):
    """Open an operation; return its block once its responses are shown."""
    button = operation_button(page, summary)
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    block = page.locator(".opblock").filter(has=button)
    expect(block.locator(".responses-wrapper")).to_be_visible()
    return block


def shown_examples(block) -> list:
    """Every example an open operation shows (request and responses), as JSON values."""
    blocks = block.locator(".highlight-code > pre").all()
    return [json.loads(code.text_content()) for code in blocks]


def named_examples(content: dict) -> list:
    return [example["value"] for example in content.get("examples", {}).values()]


def test_the_pages_heading_is_read_by_screen_readers_and_never_shown(live_server, page):
    open_docs(page, live_server)
    heading = page.get_by_role("heading", level=1, name="SSI Portal API documentation")
    expect(heading).to_have_count(1)
    box = heading.bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1, box


def test_the_documentation_lists_every_operation_of_the_live_schema(live_server, page):
    open_docs(page, live_server)
    operations = live_operations(page, live_server)

    listed = {
        (
            block.locator(".opblock-summary-method").text_content(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
            block.locator(".opblock-summary-description").text_content(),
        )
        for block in page.locator(".opblock").all()
    }
    assert listed == {(o["method"].upper(), o["path"], o["summary"]) for o in operations.values()}


def test_every_operation_shows_an_example_when_opened(live_server, page):
    open_docs(page, live_server)
    for operation_id, operation in live_operations(page, live_server).items():
        assert shown_examples(expand(page, operation["summary"])), f"{operation_id}: no example"


@pytest.mark.parametrize("operation_id", ["request_raise", "request_answer", "request_reveal"])
def test_an_operation_shows_the_schemas_own_examples(live_server, page, operation_id):
    open_docs(page, live_server)
    operation = live_operations(page, live_server)[operation_id]
    shown = shown_examples(expand(page, operation["summary"]))

    request = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    success = next(r for code, r in operation["responses"].items() if code.startswith("2"))
    expected = named_examples(request) + named_examples(success["content"]["application/json"])
    assert expected, f"{operation_id} has no example of its own in the schema"
    for example in expected:
        assert example in shown, f"{operation_id} does not show {example}"


def test_no_request_leaves_the_portal(live_server, page):
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    open_docs(page, live_server)
    block = expand(page, "Raise a Request for Install Code")
    block.get_by_role("tab", name="Schema").first.click()
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.get_by_role("dialog", name="Available authorizations")).to_be_visible()

    portal = urlsplit(live_server.url).netloc
    assert live_server.url + SCHEMA in asked
    elsewhere = [url for url in asked if urlsplit(url).netloc != portal]
    assert not elsewhere, f"The documentation asked for: {elsewhere}"


def test_the_keyboard_reaches_and_opens_the_first_operation_with_its_focus_shown(live_server, page):
    open_docs(page, live_server)
    first = page.locator(".opblock-summary-control").first
    for _ in range(10):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_STYLE) == FOCUS_RING, page.evaluate(
            "() => document.activeElement.outerHTML.slice(0, 200)"
        )
        if first.evaluate("button => button === document.activeElement"):
            break
    expect(first).to_be_focused()

    page.keyboard.press("Enter")
    expect(first).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".opblock").first.locator(".responses-wrapper")).to_be_visible()
    expect(first).to_be_focused()
    assert page.evaluate(FOCUS_STYLE) == FOCUS_RING


# Every control a reader can reach, as drawn: (its markup, width, height) where either is below
# 24 CSS pixels. Stricter than axe-core's rule, which lets a small target pass with room around.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'a[href], button, input, select, textarea, [role=button], [tabindex]:not([tabindex="-1"])'
)].filter(control => control.getClientRects().length && !control.closest('[inert]'))
  .map(control => [control.outerHTML.slice(0, 120), control.getBoundingClientRect()])
  .filter(([, box]) => box.width < 24 || box.height < 24)
  .map(([markup, box]) => [markup, box.width, box.height])"""


def test_every_target_is_at_least_24_pixels_square(live_server, page):
    open_docs(page, live_server)
    assert page.evaluate(SMALL_TARGETS) == []
    answer = expand(page, "Answer with the install code")
    expand(page, "List requests")
    assert page.evaluate(SMALL_TARGETS) == []
    for tab in answer.get_by_role("tab", name="Schema").all():
        tab.click()
    assert page.evaluate(SMALL_TARGETS) == []
    answer.get_by_role("button", name="Try it out").click()
    assert page.evaluate(SMALL_TARGETS) == []
    page.get_by_role("button", name="Authorize", exact=True).click()
    assert page.evaluate(SMALL_TARGETS) == []


# What axe-core does not measure: each form control's edge, each scope's drawn check box, the
# lock icons and the open tab's mark (3:1 against what is behind them, WCAG 1.4.11); and, at
# 4.5:1 (1.4.3), the examples' tokens, the lists' texts, and a required parameter's asterisk
# and the "required" a ::after rule writes after its name. Each as (kind, which, colour, the
# colour behind it, the contrast needed).
UNMEASURED = """() => {
    const rgba = text => {  // the first colour in a computed style, as [r, g, b, alpha]
        const [r, g, b, a = 1] = text.match(/rgba?\\(([^)]*)\\)/)[1].split(/[\\s,/]+/).map(Number);
        return [r, g, b, a];
    };
    const behind = element => {  // the colour behind an element: its ancestors' layered
        const layers = [];
        for (let node = element; node; node = node.parentElement) {
            const [r, g, b, a] = rgba(getComputedStyle(node).backgroundColor);
            if (a > 0) layers.push([r, g, b, a]);
            if (a === 1) break;
        }
        return layers.reduceRight(
            (under, [r, g, b, a]) => [r, g, b].map((c, i) => c * a + under[i] * (1 - a)),
            [255, 255, 255]);
    };
    const found = [];
    const add = (kind, element, colour, needed, which, {opacity = 1, over} = {}) => {
        if (!element.getClientRects().length || element.closest("[inert]")) return;
        const [r, g, b, a] = rgba(colour);
        found.push([kind, which.slice(0, 80), [r, g, b, a * opacity],
                    behind(over || element.parentElement), needed]);
    };
    document.querySelectorAll("input:not([type=checkbox]), select, textarea").forEach(c => {
        const style = getComputedStyle(c);  // without a border, its own background is its edge
        const bordered = parseFloat(style.borderTopWidth) > 0 && style.borderTopStyle !== "none";
        add("edge", c, bordered ? style.borderTopColor : style.backgroundColor, 3, c.outerHTML);
    });
    document.querySelectorAll(".checkbox .item").forEach(box => add(
        "check box", box, getComputedStyle(box).boxShadow, 3, box.parentElement.textContent));
    document.querySelectorAll(".btn.authorize svg, .authorization__btn svg").forEach(lock => add(
        "icon", lock, getComputedStyle(lock).color, 3, lock.parentElement.outerHTML,
        {opacity: Number(getComputedStyle(lock).opacity)}));
    document.querySelectorAll(".tab-header .tab-item.active h4 span").forEach(tab => add(
        "tab mark", tab, getComputedStyle(tab, "::after").backgroundColor, 3, tab.textContent));
    document.querySelectorAll(".highlight-code > pre, .highlight-code > pre span").forEach(
        token => token.textContent.trim() && add(  // including what axe finds too short to judge
            "code", token, getComputedStyle(token).color, 4.5, token.textContent, {over: token}));
    document.querySelectorAll("select").forEach(list => add(  // axe: "a background image"
        "list", list, getComputedStyle(list).color, 4.5, list.outerHTML, {over: list}));
    document.querySelectorAll(".parameter__name.required").forEach(name => {
        add("required", name, getComputedStyle(name, "::after").color, 4.5, name.textContent);
        name.querySelectorAll("span").forEach(star => add(
            "required", star, getComputedStyle(star).color, 4.5, name.textContent));
    });
    return found;
}"""


def contrast(colour, background) -> float:
    """WCAG's contrast ratio of an RGBA colour over an opaque RGB background."""
    *rgb, alpha = colour
    shown = [c * alpha + b * (1 - alpha) for c, b in zip(rgb, background, strict=True)]

    def luminance(channels):
        linear = [
            c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(shown), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_what_axe_does_not_measure_is_in_contrast_too(live_server, page):
    open_docs(page, live_server)
    answer = expand(page, "Answer with the install code")  # a required path parameter
    answer.get_by_role("button", name="Try it out").click()  # its inputs and request body
    measured = page.evaluate(UNMEASURED)
    page.get_by_role("button", name="Authorize", exact=True).click()  # the scopes' boxes
    measured += page.evaluate(UNMEASURED)

    kinds = {"edge", "check box", "icon", "tab mark", "code", "list", "required"}
    assert {kind for kind, *_ in measured} == kinds
    low = [
        (kind, which, round(contrast(colour, background), 2))
        for kind, which, colour, background, needed in measured
        if contrast(colour, background) < needed
    ]
    assert not low, f"Below the contrast needed: {low}"


def test_the_authorize_dialog_takes_the_focus_and_gives_it_back_on_escape(live_server, page):
    open_docs(page, live_server)
    authorize = page.get_by_role("button", name="Authorize", exact=True)
    authorize.focus()
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog", name="Available authorizations")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("textbox", name="client_id:")).to_be_focused()
    # The page behind the dialog is out of reach: Tab goes round the dialog alone.
    for _ in range(15):
        page.keyboard.press("Tab")
        assert page.evaluate(
            "() => document.activeElement === document.body"
            " || !!document.activeElement.closest('[role=dialog]')"
        )

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(authorize).to_be_focused()


def test_the_scopes_are_chosen_from_the_keyboard(live_server, page):
    open_docs(page, live_server)
    page.get_by_role("button", name="Authorize", exact=True).click()
    dialog = page.get_by_role("dialog", name="Available authorizations")
    dialog.get_by_label("client_secret:").focus()

    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="select all")).to_be_focused()
    page.keyboard.press("Enter")
    scopes = dialog.get_by_role("checkbox")
    for number in range(scopes.count()):
        expect(scopes.nth(number)).to_be_checked()

    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="select none")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    read = dialog.get_by_role("checkbox", name=re.compile("^read"))
    expect(read).to_be_focused()
    expect(read).not_to_be_checked()
    page.keyboard.press("Space")
    expect(read).to_be_checked()


def assert_to_the_standard(page) -> None:
    """No serious or critical axe-core violation; and below those, only the heading levels
    Swagger UI gives (its title an h1, each tag an h3)."""
    assert_accessible(page)
    lesser = {violation["id"] for violation in axe_violations(page)}
    assert lesser <= {"heading-order"}, f"axe found {sorted(lesser)} on {page.url}"


def test_the_documentation_as_first_shown_meets_the_standard(live_server, page):
    open_docs(page, live_server)
    assert_to_the_standard(page)
    # Every icon of Swagger UI's is decoration, hidden from screen readers (its sheet of icon
    # definitions too, which axe lets pass as an image without a name).
    expect(page.get_by_role("img")).to_have_count(0)


def test_the_documentation_with_operations_open_meets_the_standard(live_server, page):
    open_docs(page, live_server)
    answer = expand(page, "Answer with the install code")
    expand(page, "List requests")  # its query parameters: lists of values
    expect(answer.locator(".highlight-code").first).to_be_visible()
    assert_to_the_standard(page)

    # The same operation's schemas instead of its examples.
    for tab in answer.get_by_role("tab", name="Schema").all():
        tab.click()
    expect(answer.locator(".json-schema-2020-12").first).to_be_visible()
    assert_to_the_standard(page)


def test_an_operation_being_tried_out_meets_the_standard(live_server, page):
    open_docs(page, live_server)
    answer = expand(page, "Answer with the install code")
    answer.get_by_role("button", name="Try it out").click()
    expect(answer.get_by_role("textbox", name="Request body")).to_be_editable()
    assert_to_the_standard(page)


def test_the_documentation_with_the_authorize_dialog_open_meets_the_standard(live_server, page):
    open_docs(page, live_server)
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.get_by_role("dialog", name="Available authorizations")).to_be_visible()
    assert_to_the_standard(page)
