//! The workstation's own preferences for the window (not part of any profile): the theme. Many
//! desktops have no settings portal to follow, so the administrator can choose.

use std::path::Path;

/// The window's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    /// Follow the desktop (its settings portal; light without one).
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "System",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }

    /// The theme iced draws with; None follows the desktop.
    pub fn theme(self) -> Option<iced::Theme> {
        match self {
            ThemeChoice::System => None,
            ThemeChoice::Light => Some(iced::Theme::Light),
            ThemeChoice::Dark => Some(iced::Theme::Dark),
        }
    }

    fn key(self) -> &'static str {
        match self {
            ThemeChoice::System => "system",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }
}

/// Everything kept between sessions of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settings {
    pub theme: ThemeChoice,
}

impl Settings {
    /// Reads the settings file; a missing or unreadable one (or an unknown value in it) gives
    /// the defaults: a preference never stops the window from opening.
    pub fn read(path: &Path) -> Settings {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let theme = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .find(|(key, _)| key.trim() == "theme")
            .and_then(|(_, value)| {
                let value = value.trim().trim_matches('"');
                ThemeChoice::ALL
                    .into_iter()
                    .find(|choice| choice.key() == value)
            })
            .unwrap_or_default();
        Settings { theme }
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|error| format!("creating {}: {error}", dir.display()))?;
        }
        let text = format!(
            "# Tandem's window preferences (system, light or dark)\ntheme = \"{}\"\n",
            self.theme.key()
        );
        wizard_steps::profile::store::write_atomically(path, text.as_bytes(), 0o600)
            .map_err(|error| format!("writing {}: {error}", path.display()))
    }
}
