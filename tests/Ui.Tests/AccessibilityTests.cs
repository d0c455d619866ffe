using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SubsidyEngine.Api.Auth;

namespace SubsidyEngine.Ui.Tests;

/// <summary>
/// Issue 20, the remaining accessibility items from the user's side: the application form filled in and submitted
/// with the keyboard alone, with a visible focus on every control it reaches; the contrast of the yellow header's
/// text, links and focus ring computed from the browser's computed styles; and the portal showing an authority's
/// existing application for an open call instead of offering a second start. Screenshots: TestResults/screenshots/40-*.
/// </summary>
public sealed class AccessibilityTests(UiHost host) : IClassFixture<UiHost>
{
    /// <summary>The focus style of the focused element, then of the same element without focus (blurred and focused again).</summary>
    private const string FocusProbe = """
        () => {
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const pick = s => s.outlineStyle + '|' + s.outlineWidth + '|' + s.outlineColor + '|' + s.boxShadow;
          const s = getComputedStyle(el);
          const focused = { style: pick(s), outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, shadow: s.boxShadow !== 'none' };
          el.blur();
          const unfocused = pick(getComputedStyle(el));
          el.focus();
          return { id: el.id, tag: el.tagName.toLowerCase(), text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
                   focused: focused.style, unfocused, visible: (focused.outline || focused.shadow) && focused.style !== unfocused,
                   still: document.activeElement === el };
        }
        """;

    [Fact]
    public async Task The_application_form_is_filled_in_and_submitted_with_the_keyboard_alone_with_a_visible_focus_everywhere()
    {
        var (context, page) = await host.SignInAsync("Genk");
        await using var _ = context;
        var problems = new List<string>();

        // Portal: the cooperation picker by keyboard: Tab to its search field, type a name, Tab to "add" for As and
        // press Enter; then on to the start button of the 2023 call and Enter.
        var form = page.Locator("form.start-application[data-call='2023']");
        await TabToAsync(page, "form.start-application[data-call='2023'] .picker-search", problems);
        await page.Keyboard.TypeAsync("As");
        await TabToAsync(page, "form.start-application[data-call='2023'] button[data-add='71002']", problems);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(form.Locator(".picker-chosen li[data-id='71002']")).ToContainTextAsync("As (Hasselt)");
        await Assertions.Expect(form.Locator("[data-testid=check-verdict]")).ToHaveClassAsync(new Regex("ok"));
        await TabToAsync(page, "button[data-call='plan-samenleven/2023']", problems);
        await page.Keyboard.PressAsync("Enter");
        await UiHost.UrlAsync(page, new Regex("/dossiers/[0-9a-f-]{36}$"));

        // The table: every value typed into the field the keyboard reached.
        foreach (var (field, value) in new[] { ("planned_2.1", "500"), ("priority_2.1", "1"), ("local_2.1", "30000"), ("planned_5.4", "100"), ("priority_5.4", "2"), ("local_5.4", "32000") })
        {
            await TabToAsync(page, $"#{field.Replace(".", "\\.", StringComparison.Ordinal)}", problems);
            await page.Keyboard.PressAsync("Control+A");
            await page.Keyboard.TypeAsync(value);
        }

        await Assertions.Expect(page.Locator("#live-required-total")).ToContainTextAsync("62.000,00");

        // Back up with Shift+Tab once (focus order also works backwards), then on to the confirmation: Space ticks it.
        await page.Keyboard.PressAsync("Shift+Tab");
        Assert.Equal("priority_5.4", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await TabToAsync(page, "#confirm", problems);
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.Locator("#confirm")).ToBeCheckedAsync();
        await TabToAsync(page, "#submit-application", problems);
        await UiHost.ShotAsync(page, "40-keyboard-focus-on-submit");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.Locator("[data-testid=state]")).ToHaveAttributeAsync("data-state", "submitted");
        await UiHost.ShotAsync(page, "41-keyboard-submitted");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// Presses Tab (at most 250 times) until the element matching <paramref name="selector"/> has the focus; every
    /// control focused on the way must show a focus style (outline of 2 px or more, or a box shadow) that differs
    /// from its style without focus.
    /// </summary>
    private static async Task TabToAsync(IPage page, string selector, List<string> problems)
    {
        var target = page.Locator(selector);
        await Assertions.Expect(target).ToHaveCountAsync(1);
        for (var i = 0; i < 250; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var probe = await page.EvaluateAsync<JsonElement?>(FocusProbe);
            if (probe is { ValueKind: JsonValueKind.Object } p)
            {
                if (!p.GetProperty("visible").GetBoolean())
                {
                    problems.Add($"{new Uri(page.Url).AbsolutePath}: no visible focus on <{p.GetProperty("tag").GetString()} id='{p.GetProperty("id").GetString()}'> '{p.GetProperty("text").GetString()}' (focused {p.GetProperty("focused").GetString()}, unfocused {p.GetProperty("unfocused").GetString()})");
                }

                if (!p.GetProperty("still").GetBoolean())
                {
                    problems.Add($"{new Uri(page.Url).AbsolutePath}: focus could not be given back to '{p.GetProperty("id").GetString()}'");
                }
            }

            if (await target.EvaluateAsync<bool>("el => el === document.activeElement"))
            {
                return;
            }
        }

        throw new Xunit.Sdk.XunitException($"{selector} not reached with 250 presses of Tab on {page.Url}; problems so far: {string.Join("; ", problems)}");
    }

    /// <summary>
    /// The yellow header: every piece of text in it (brand, its muted suffix, the user's name, links and buttons)
    /// against the header's background, at least 4.5:1 (3:1 for large text: 18.66 px bold or 24 px); the focus ring of
    /// each of its links and buttons against the header, and the page's focus ring against the page, at least 3:1
    /// (WCAG 2.1 1.4.3 and 1.4.11). The ratios, from the computed styles, are written to the test output.
    /// </summary>
    [Fact]
    public async Task The_yellow_header_text_links_and_focus_ring_have_enough_contrast()
    {
        var (context, page) = await host.SignInAsync("Genk");
        await using var _ = context;
        var samples = await page.EvaluateAsync<JsonElement>("""
            () => {
              const bg = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) return c; } return 'rgb(255, 255, 255)'; };
              const out = [];
              for (const el of document.querySelectorAll('header.top, header.top *')) {
                const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim().length > 0);
                const s = getComputedStyle(el);
                if (own && s.visibility !== 'hidden' && el.offsetParent !== null) {
                  out.push({ what: el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' "' + el.textContent.trim().slice(0, 30) + '"',
                             fg: s.color, bg: bg(el), size: parseFloat(s.fontSize), weight: parseInt(s.fontWeight, 10), kind: 'text' });
                }
              }
              return out;
            }
            """);
        var problems = new List<string>();
        var lines = new List<string>();
        void Check(string what, string fg, string bg, double required)
        {
            var ratio = Contrast(fg, bg);
            lines.Add($"{what}: {fg} on {bg} = {ratio:F2}:1 (required {required}:1)");
            if (ratio < required)
            {
                problems.Add(lines[^1]);
            }
        }

        Assert.True(samples.GetArrayLength() >= 3, "text in the header: " + samples);
        foreach (var s in samples.EnumerateArray())
        {
            var size = s.GetProperty("size").GetDouble();
            var large = size >= 24 || (size >= 18.66 && s.GetProperty("weight").GetInt32() >= 700);
            Check(s.GetProperty("what").GetString()!, s.GetProperty("fg").GetString()!, s.GetProperty("bg").GetString()!, large ? 3 : 4.5);
        }

        // Focus rings: Tab through the header's controls (the keyboard gives :focus-visible), then to the main content.
        var headerBg = await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('header.top')).backgroundColor");
        var pageBg = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        var sawHeader = false;
        var sawMain = false;
        for (var i = 0; i < 40 && !sawMain; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var f = await page.EvaluateAsync<JsonElement>("() => { const el = document.activeElement; const s = getComputedStyle(el); return { inHeader: !!el.closest('header.top'), inMain: !!el.closest('main'), what: el.tagName.toLowerCase() + ' \"' + (el.innerText || '').trim().slice(0, 30) + '\"', ring: s.outlineColor, style: s.outlineStyle }; }");
            if (f.GetProperty("style").GetString() == "none")
            {
                continue;
            }

            if (f.GetProperty("inHeader").GetBoolean())
            {
                sawHeader = true;
                Check("focus ring of header " + f.GetProperty("what").GetString(), f.GetProperty("ring").GetString()!, headerBg, 3);
            }
            else if (f.GetProperty("inMain").GetBoolean())
            {
                sawMain = true;
                Check("focus ring of page " + f.GetProperty("what").GetString(), f.GetProperty("ring").GetString()!, pageBg, 3);
            }
        }

        await UiHost.ShotAsync(page, "42-header-contrast");
        Console.WriteLine(string.Join("\n", lines));
        Assert.True(sawHeader && sawMain, "focus rings seen: header " + sawHeader + ", main " + sawMain);
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\nall:\n" + string.Join("\n", lines));
    }

    /// <summary>WCAG 2.1 contrast ratio of two CSS colours given as rgb()/rgba() (alpha over white is ignored: header colours are opaque).</summary>
    internal static double Contrast(string a, string b)
    {
        static double Luminance(string css)
        {
            var m = Regex.Match(css, @"rgba?\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)");
            Assert.True(m.Success, "not an rgb() colour: " + css);
            double Channel(int i)
            {
                var c = double.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) / 255.0;
                return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
            }

            return (0.2126 * Channel(1)) + (0.7152 * Channel(2)) + (0.0722 * Channel(3));
        }

        var (l1, l2) = (Luminance(a), Luminance(b));
        return (Math.Max(l1, l2) + 0.05) / (Math.Min(l1, l2) + 0.05);
    }

    [Fact]
    public void The_contrast_formula_gives_the_known_ratios()
    {
        Assert.Equal(21.0, Contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 2);
        Assert.Equal(1.0, Contrast("rgb(255, 230, 21)", "rgb(255, 230, 21)"), 2);
        Assert.InRange(Contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)"), 4.5, 4.6); // #767676, the classic 4.54:1
    }

    /// <summary>Issue 20: an open call the authority already applied to shows its dossier, not a second "start".</summary>
    [Fact]
    public async Task The_portal_shows_the_existing_application_of_an_open_call_instead_of_offering_to_start_again()
    {
        var user = DevelopmentSignIn.Users.First(u => u.AuthorityId is { } a && a != "71016");
        var (context, page) = await host.SignInAsync(user.DisplayName);
        await using var _ = context;
        await Assertions.Expect(page.Locator("form.start-application[data-call='2023']")).ToHaveCountAsync(1);

        var id = await host.StartApplicationAsync(user.AuthorityId!);
        await page.GotoAsync("/portal");
        await Assertions.Expect(page.Locator("form.start-application[data-call='2023']")).ToHaveCountAsync(0);
        var existing = page.Locator("[data-testid=existing-application][data-call='plan-samenleven/2023'] a");
        await Assertions.Expect(existing).ToHaveAttributeAsync("href", $"/dossiers/{id:D}");
        await UiHost.ShotAsync(page, "43-portal-existing-application");
    }
}
