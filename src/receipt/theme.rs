//! The receipt's look in one place: page geometry, colours and text styles. Only constants and
//! the status-to-colour mapping live here; no drawing, no text.

use super::StatusKind;
use super::canvas::{Colour, PAGE_HEIGHT, PAGE_WIDTH, TextStyle};
use super::text::Weight;

/// Left and right page margin.
pub(super) const MARGIN_X: f32 = 45.0;
/// Width between the margins.
pub(super) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
/// Where content starts on pages after the first (which has the header band).
pub(super) const TOP_MARGIN: f32 = 45.0;
/// The footer rule; the page number sits just below it.
pub(super) const FOOTER_RULE_Y: f32 = PAGE_HEIGHT - 32.0;
/// Nothing but the footer goes below this line.
pub(super) const BODY_BOTTOM: f32 = FOOTER_RULE_Y - 10.0;
/// Vertical space between blocks.
pub(super) const BLOCK_GAP: f32 = 14.0;

pub(super) const BLUE: Colour = Colour(0, 87, 184);
pub(super) const YELLOW: Colour = Colour(255, 215, 0);
pub(super) const WHITE: Colour = Colour(255, 255, 255);
pub(super) const PALE: Colour = Colour(222, 233, 248);
pub(super) const NAVY: Colour = Colour(10, 61, 143);
/// QR modules: pure black for the best contrast when scanned.
pub(super) const QR_DARK: Colour = Colour(0, 0, 0);
pub(super) const INK: Colour = Colour(26, 26, 26);
pub(super) const MUTED: Colour = Colour(95, 99, 104);
pub(super) const LINK: Colour = Colour(26, 86, 176);
pub(super) const RULE: Colour = Colour(200, 205, 212);
pub(super) const HEADER_FILL: Colour = Colour(232, 238, 247);
pub(super) const STRIPE_FILL: Colour = Colour(246, 247, 249);
/// Behind an item's heading in the services table.
pub(super) const GROUP_FILL: Colour = Colour(240, 244, 251);

const GREEN: Colour = Colour(27, 122, 52);
const AMBER: Colour = Colour(166, 104, 0);
const RED: Colour = Colour(198, 40, 40);
const GREY: Colour = Colour(110, 114, 120);

/// The colour of a status label (and of a failure reason).
pub(super) fn status_colour(status: StatusKind) -> Colour {
    match status {
        StatusKind::Succeeded => GREEN,
        StatusKind::InProgress => AMBER,
        StatusKind::Failed => RED,
        StatusKind::Blocked => GREY,
    }
}

const fn style(weight: Weight, size: f32, leading: f32, colour: Colour) -> TextStyle {
    TextStyle {
        weight,
        size,
        leading,
        colour,
    }
}

pub(super) const TITLE: TextStyle = style(Weight::Bold, 16.0, 20.0, WHITE);
pub(super) const SUBTITLE: TextStyle = style(Weight::Regular, 10.0, 13.5, PALE);
pub(super) const KEY: TextStyle = style(Weight::Regular, 9.5, 12.5, MUTED);
pub(super) const VALUE: TextStyle = style(Weight::Bold, 9.5, 12.5, INK);
pub(super) const HEADING: TextStyle = style(Weight::Bold, 12.0, 15.0, NAVY);
pub(super) const TABLE_HEAD: TextStyle = style(Weight::Bold, 8.5, 11.0, INK);
pub(super) const CELL: TextStyle = style(Weight::Regular, 9.0, 11.5, INK);
pub(super) const CELL_MUTED: TextStyle = style(Weight::Regular, 8.5, 11.5, MUTED);
pub(super) const STATUS: TextStyle = style(Weight::Bold, 9.0, 11.5, INK);
pub(super) const GROUP: TextStyle = style(Weight::Bold, 9.5, 12.0, NAVY);
pub(super) const REFERENCE: TextStyle = style(Weight::Regular, 8.5, 10.5, INK);
pub(super) const INTRO: TextStyle = style(Weight::Regular, 9.0, 12.5, INK);
pub(super) const FOOT_HEADING: TextStyle = style(Weight::Bold, 9.5, 12.5, INK);
pub(super) const FOOT_LINK: TextStyle = style(Weight::Regular, 8.5, 11.0, LINK);
pub(super) const FOOT_NOTE: TextStyle = style(Weight::Regular, 8.0, 10.0, MUTED);
pub(super) const PAGE_NUMBER: TextStyle = style(Weight::Regular, 7.5, 10.0, MUTED);
