//! The living style guide, `/styleguide`: every component of the design system as pages use it,
//! for officials and developers (and for the browser tests' screenshots).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::shell::{Shell, render};

#[derive(Template)]
#[template(path = "styleguide.html")]
struct StyleGuide {
    shell: Shell,
    icons: Vec<&'static str>,
}

/// The names of the sprite's icons, in its order.
fn icon_names() -> Vec<&'static str> {
    include_str!("../../../static/icons.svg")
        .split("<symbol id=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect()
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let shell = Shell::new(&state, &ctx, None, ctx.tr().get("sg.title")).await;
    render(&StyleGuide {
        shell,
        icons: icon_names(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_icon_of_the_sprite_is_shown() {
        let names = super::icon_names();
        assert!(names.len() > 50, "{names:?}");
        assert!(names.contains(&"siren") && names.contains(&"house"));
    }
}
