//! The report in a real browser (headless Chromium): its sections come in the order the report
//! promises, the page never scrolls sideways at a phone's 400 px or a laptop's 1400 px, and every
//! chart loads and has alternative text.
//!
//! Chromium's headless window is at least 500 px wide, so the page is measured inside an iframe
//! of the width under test (its own viewport: media queries and `scrollWidth` are the iframe's).
//! The test needs Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it, it
//! fails and says so, unless NEGSIM_SKIP_BROWSER=1 asks to skip it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{negsim, texts};

/// Chromium: NEGSIM_CHROMIUM, else the first of the usual names on PATH.
pub(crate) fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NEGSIM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// What the page looks like at `width` CSS pixels: the probe's JSON.
fn probe(browser: &Path, dir: &Path, width: u32) -> serde_json::Value {
    let wrapper = dir.join(format!("probe_{width}.html"));
    std::fs::write(
        &wrapper,
        format!(
            r#"<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:{width}px;height:3000px;border:0"></iframe>
<script>
window.addEventListener('load', () => {{
  const d = document.getElementById('f').contentDocument;
  const imgs = [...d.images];
  const r = {{
    viewport: d.defaultView.innerWidth,
    scroll: d.documentElement.scrollWidth,
    h2: [...d.querySelectorAll('h2')].map(e => e.textContent),
    first_para: (d.querySelector('h2 + p') || {{textContent: ''}}).textContent,
    images: imgs.length,
    short_alt: imgs.filter(i => (i.getAttribute('alt') || '').trim().length < 20).map(i => i.getAttribute('src')),
    not_loaded: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')),
  }};
  const p = document.createElement('pre');
  p.id = 'probe';
  p.textContent = JSON.stringify(r);
  document.body.appendChild(p);
}});
</script></body></html>"#
        ),
    )
    .expect("write the probe page");
    let profile = dir.join(format!("chromium-profile-{width}"));
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--window-size=1600,1000",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", wrapper.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = dom
        .split_once("<pre id=\"probe\">")
        .and_then(|(_, r)| r.split_once("</pre>"))
        .map(|(j, _)| {
            j.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        })
        .unwrap_or_else(|| {
            panic!(
                "the probe did not run at {width} px: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(&json).expect("the probe's JSON")
}

#[test]
fn the_report_reads_answer_first_on_a_phone_and_a_laptop() {
    let Some(browser) = chromium() else {
        if std::env::var_os("NEGSIM_SKIP_BROWSER").is_some() {
            eprintln!("skipped: no Chromium and NEGSIM_SKIP_BROWSER is set");
            return;
        }
        panic!(
            "this test needs headless Chromium: apt-get install chromium (or NEGSIM_CHROMIUM=/path/to/chromium; NEGSIM_SKIP_BROWSER=1 skips it)"
        );
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cmp");
    let o = negsim()
        .args([
            "compare",
            "scenarios/baseline.toml",
            "--with",
            "scenarios/interventions/treasury_expertise.toml",
            "--with",
            "scenarios/interventions/threat_withdrawn.toml",
            "--runs",
            "300",
            "--explain",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run negsim");
    assert!(o.status.success(), "{:?}", texts(&o));
    let sections: Vec<String> = negsim::report::report_doc::SECTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    for width in [400u32, 1400] {
        let r = probe(&browser, &out, width);
        assert_eq!(
            r["viewport"], width,
            "the page was not laid out at {width} px: {r}"
        );
        let scroll = r["scroll"].as_u64().unwrap_or(u64::MAX);
        assert!(
            scroll <= u64::from(width),
            "at {width} px the page scrolls sideways (scrollWidth {scroll})"
        );
        let h2: Vec<String> = r["h2"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(h2, sections, "sections out of order at {width} px");
        let first = r["first_para"].as_str().unwrap_or("");
        assert!(
            first.contains("helps most"),
            "the report does not open with its answer: {first:?}"
        );
        // fan, regimes, survival, forest, broken truces, story and the waterfall.
        assert!(
            r["images"].as_u64() >= Some(7),
            "too few charts at {width} px: {r}"
        );
        assert_eq!(
            r["short_alt"],
            serde_json::json!([]),
            "charts without alt text"
        );
        assert_eq!(
            r["not_loaded"],
            serde_json::json!([]),
            "charts that did not load"
        );
    }
}
