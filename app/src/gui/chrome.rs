//! The window's chrome around the pages: the sidebar, the Back/Next bar with its Save button, the
//! Manage page's own bar, and the question asked before something would stop a run or drop
//! unsaved changes (over whatever page is shown).

use crate::screens::focus::Activate;
use iced::widget::{button, column, container, row, scrollable, space, text};
use iced::{Center, Element, Fill};
use wizard_steps::pages::{self, Page};

use super::settings::ThemeChoice;
use super::{App, Message};
use crate::screens::Screen;
use crate::screens::cluster::ClusterPage;
use crate::screens::network::NetworkPage;
use crate::screens::storage::StoragePage;
use crate::screens::vms::VmsPage;
use crate::screens::{done, focus, manage, nodes, review, run, welcome};

/// The scrollable that holds the page.
pub const PAGE_SCROLL: &str = "page";

/// The widest a page gets: on a large screen, fields stay near their labels.
const PAGE_WIDTH: f32 = 1100.0;

impl App {
    pub fn view(&self) -> Element<'_, Message> {
        let screen = self.screen();
        match self.dialog() {
            Some(dialog) => iced::widget::stack![focus::behind_dialog(screen), dialog].into(),
            None => screen,
        }
    }

    fn screen(&self) -> Element<'_, Message> {
        let context = self.context();
        let page: Element<'_, Message> = match self.page {
            Page::Welcome => welcome::view(&self.welcome).map(Message::Welcome),
            Page::Nodes => nodes::view(&self.nodes, context).map(Message::Nodes),
            Page::Network => NetworkPage::view(&self.network, context).map(Message::Network),
            Page::Storage => StoragePage::view(&self.storage, context).map(Message::Storage),
            Page::Vms => VmsPage::view(&self.vms, context).map(Message::Vms),
            Page::Cluster => ClusterPage::view(&self.cluster, context).map(Message::Cluster),
            Page::Review => self.review_view(),
            Page::Run => run::view(&self.run).map(Message::Run),
            Page::Done => done::view(&self.done, context, &self.run.board).map(Message::Done),
            Page::Manage => return self.manage_view(),
        };
        if self.page == Page::Welcome {
            return container(column![
                container(page).height(Fill),
                row![space::horizontal(), self.theme_picker()]
            ])
            .padding(24)
            .width(Fill)
            .height(Fill)
            .into();
        }
        let body = column![
            scrollable(
                container(container(page).max_width(PAGE_WIDTH))
                    .padding(24)
                    .center_x(Fill)
            )
            .id(PAGE_SCROLL)
            .height(Fill),
            self.navigation(),
        ];
        row![self.sidebar(), body.width(Fill)].height(Fill).into()
    }

    /// The Review page; with a quorum device, the connection to its machine (Tandem installs
    /// qnetd there) under the heading, through the Nodes page's flow.
    fn review_view(&self) -> Element<'_, Message> {
        let context = self.context();
        if self.profile.cluster.quorum_device.is_none() {
            return review::view(&self.review, context).map(Message::Review);
        }
        column![
            review::heading_view().map(Message::Review),
            nodes::connection_view(&self.nodes, context, nodes::QUORUM_DEVICE).map(Message::Nodes),
            review::body(&self.review, context).map(Message::Review),
        ]
        .spacing(20)
        .into()
    }

    /// The Manage page: its own bar (back to Welcome, into the wizard), the nodes' connections
    /// and the cluster.
    fn manage_view(&self) -> Element<'_, Message> {
        let context = self.context();
        let idle = !self.manage.busy();
        let bar = row![
            button(text("← Welcome"))
                .style(button::secondary)
                .on_activate_maybe(idle.then_some(Message::WelcomePressed)),
            text(format!("Cluster {}", self.profile.cluster.name))
                .size(20)
                .width(Fill),
            button(text("Edit profile"))
                .style(button::secondary)
                .on_activate_maybe(idle.then_some(Message::EditProfilePressed)),
        ]
        .spacing(12)
        .align_y(Center);
        let mut links = row![].spacing(16);
        for index in 0..self.profile.nodes.len().min(2) {
            links = links.push(
                container(nodes::connection_view(&self.nodes, context, index).map(Message::Nodes))
                    .width(Fill),
            );
        }
        let mut page = column![bar, links].spacing(16);
        page = page
            .push(manage::view(&self.manage, context, self.connected_nodes()).map(Message::Manage));
        scrollable(container(page).padding(24).width(Fill))
            .height(Fill)
            .into()
    }

    fn sidebar(&self) -> Element<'_, Message> {
        let mut pages = column![].spacing(4);
        for page in Page::ALL.into_iter().skip(1) {
            let label = if page == self.page {
                text(format!("▸ {}", page.title()))
            } else {
                text(format!("  {}", page.title()))
            };
            let style = if page == self.page {
                current_page
            } else {
                button::text
            };
            pages =
                pages.push(button(label).width(Fill).style(style).on_activate_maybe(
                    self.reachable(page).then_some(Message::PageSelected(page)),
                ));
        }
        container(
            column![
                text("Tandem").size(22),
                pages,
                space::vertical(),
                self.save_button(),
                self.theme_picker(),
            ]
            .spacing(16),
        )
        .padding(16)
        .width(180)
        .height(Fill)
        .style(container::rounded_box)
        .into()
    }

    /// System, Light or Dark, for desktops without a settings portal to follow.
    fn theme_picker(&self) -> Element<'_, Message> {
        let mut choices = row![].spacing(2);
        for choice in ThemeChoice::ALL {
            let style = if choice == self.settings.theme {
                button::primary
            } else {
                button::text
            };
            choices = choices.push(
                button(text(choice.label()).size(12))
                    .style(style)
                    .padding([2, 4])
                    .on_activate(Message::ThemePicked(choice)),
            );
        }
        column![text("Theme").size(12), choices].spacing(2).into()
    }

    fn save_button(&self) -> Element<'_, Message> {
        let label = if self.unsaved() {
            "Save profile •"
        } else {
            "Save profile"
        };
        let saveable = !self.profile.cluster.name.trim().is_empty();
        column![
            button(text(label))
                .width(Fill)
                .style(button::secondary)
                .on_activate_maybe(saveable.then_some(Message::SavePressed)),
            button(text("Export profile…"))
                .width(Fill)
                .style(button::text)
                .on_activate_maybe(saveable.then_some(Message::ExportPressed)),
        ]
        .spacing(6)
        .into()
    }

    fn navigation(&self) -> Element<'_, Message> {
        let next_label = match self.page {
            Page::Review => "Start setup",
            Page::Run => "Finish",
            _ => "Next",
        };
        let status = self.status.clone().unwrap_or_else(|| self.blocked_reason());
        let back = (self.page != Page::Done || !self.run.running()).then(|| {
            button(text("Back"))
                .style(button::secondary)
                .on_activate_maybe(self.can_go_back().then_some(Message::BackPressed))
        });
        let next = self.page.next().map(|_| {
            button(text(next_label))
                .style(button::primary)
                .on_activate_maybe(
                    (self.can_continue() || self.page.edits_profile())
                        .then_some(Message::NextPressed),
                )
        });
        container(
            row![text(status).size(13).width(Fill), back, next]
                .spacing(12)
                .align_y(Center),
        )
        .padding(12)
        .width(Fill)
        .style(container::bordered_box)
        .into()
    }

    /// Why Next is disabled, in a few words, for the navigation bar.
    pub fn blocked_reason(&self) -> String {
        if self.can_continue() || self.page.next().is_none() {
            return String::new();
        }
        let count = pages::problems_of(&self.problems, self.page).len();
        if count > 0 {
            return format!(
                "{count} field(s) on this page need attention (see the messages in red)"
            );
        }
        match self.page {
            Page::Nodes => self.nodes.blocked_reason(),
            Page::Vms => "A node cannot run all VMs at once: see the capacity meter".to_owned(),
            Page::Review => self.review.blocked_reason(),
            Page::Run => self.run.blocked_reason(),
            _ => String::new(),
        }
    }
}

/// The sidebar's entry of the page shown: marked as such even where it cannot be pressed (Run
/// and Done, which are reached only by running), instead of looking disabled.
fn current_page(theme: &iced::Theme, _status: button::Status) -> button::Style {
    button::primary(theme, button::Status::Active)
}
