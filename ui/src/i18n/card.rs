//! The card screen's strings that take a value or follow the card: the
//! reader's status, the card's problems (French: the wording of
//! [`CardProblem::message_fr`]), the tries left, the fields.

use pivot_proto::card_auth::CardProblem;

use super::Lang;
use crate::state::{CardField, CardIssue, ReaderStatus};

/// What the reader used says, for the status line.
#[must_use]
pub fn reader_status(lang: Lang, status: &ReaderStatus) -> String {
    match (lang, status) {
        (Lang::Fr, ReaderStatus::Searching) => "Recherche des lecteurs de carte…".to_owned(),
        (Lang::En, ReaderStatus::Searching) => "Looking for card readers…".to_owned(),
        (Lang::Fr, ReaderStatus::NoService) => CardProblem::NoService.message_fr(),
        (Lang::En, ReaderStatus::NoService) => problem_en(CardProblem::NoService),
        (Lang::Fr, ReaderStatus::Unsupported) => "La lecture de la carte par NFC sur téléphone sera bientôt disponible. En attendant, utilisez l'application sur un ordinateur avec un lecteur de carte, ou choisissez un autre moyen de connexion.".to_owned(),
        (Lang::En, ReaderStatus::Unsupported) => "Reading the card with a phone's NFC is coming soon. Meanwhile, use the app on a computer with a card reader, or choose another way to log in.".to_owned(),
        (Lang::Fr, ReaderStatus::NoReader) => "Aucun lecteur de carte détecté. Branchez un lecteur de carte.".to_owned(),
        (Lang::En, ReaderStatus::NoReader) => "No card reader found. Plug in a card reader.".to_owned(),
        (Lang::Fr, ReaderStatus::NoCard(reader)) => format!("Posez votre carte sur le lecteur {reader}."),
        (Lang::En, ReaderStatus::NoCard(reader)) => format!("Put your card on the reader {reader}."),
        (Lang::Fr, ReaderStatus::Present(reader)) => format!("Carte détectée sur {reader}."),
        (Lang::En, ReaderStatus::Present(reader)) => format!("Card detected on {reader}."),
        (Lang::Fr, ReaderStatus::Mute(reader)) => format!("La carte posée sur {reader} ne répond pas : retirez-la, puis reposez-la à plat contre le lecteur."),
        (Lang::En, ReaderStatus::Mute(reader)) => format!("The card on {reader} does not answer: remove it, then lay it flat on the reader again."),
        (Lang::Fr, ReaderStatus::InUse(reader)) => format!("Un autre programme utilise la carte posée sur {reader} : fermez-le."),
        (Lang::En, ReaderStatus::InUse(reader)) => format!("Another program is using the card on {reader}: close it."),
    }
}

/// Why the last try failed: the card's problem, or the provider's
/// refusal as it worded it (in French only).
#[must_use]
pub fn card_issue(lang: Lang, issue: &CardIssue) -> String {
    match (lang, issue) {
        (_, CardIssue::Refused(message)) => message.clone(),
        (Lang::Fr, CardIssue::Problem(problem)) => problem.message_fr(),
        (Lang::En, CardIssue::Problem(problem)) => problem_en(*problem),
    }
}

fn problem_en(problem: CardProblem) -> String {
    match problem {
        CardProblem::NoService => "Your computer's smart-card service does not answer. On Linux, install and start pcscd; elsewhere, restart the computer.".to_owned(),
        CardProblem::NoReader => "No card reader is plugged in. Plug in your reader (or use your phone's NFC), then try again.".to_owned(),
        CardProblem::NoCard => "The card was not detected or was removed during the reading. Lay it flat on the reader (or on the back of the phone) and do not move it until the end.".to_owned(),
        CardProblem::CardBusy => "Another program is using the card. Close it, then try again.".to_owned(),
        CardProblem::Timeout => "The card no longer answers. Remove it, put it back on the reader, then try again.".to_owned(),
        CardProblem::NotAnIdCard => "This card is not a compatible ID card. Use your credit-card-sized ID card.".to_owned(),
        CardProblem::WrongCan => "The card access number (the 6 digits printed on the front, bottom right) does not match this card. Check it and try again.".to_owned(),
        CardProblem::WrongPin { tries_left: 1 } => "Wrong PIN. 1 try left: at the next wrong code, your card will be blocked.".to_owned(),
        CardProblem::WrongPin { tries_left } => format!("Wrong PIN. {tries_left} tries left."),
        CardProblem::PinBlocked => "Your card's PIN is blocked after too many tries. Unblock it with the PUK you received with your card, or go to your town hall.".to_owned(),
        CardProblem::WrongPuk { tries_left: 1 } => "Wrong PUK. 1 try left: at the next wrong code, the card will have to be renewed.".to_owned(),
        CardProblem::WrongPuk { tries_left } => format!("Wrong PUK. {tries_left} tries left."),
        CardProblem::PukBlocked => "The PUK is blocked: the card can no longer be unblocked. Ask for a new card at your town hall.".to_owned(),
        _ => "The card could not be used. Remove it, put it back on the reader, then try again.".to_owned(),
    }
}

/// "2 essais restants", "1 essai restant".
#[must_use]
pub fn tries_left(lang: Lang, tries: u8) -> String {
    match (lang, tries) {
        (Lang::Fr, 1) => "1 essai restant".to_owned(),
        (Lang::Fr, n) => format!("{n} essais restants"),
        (Lang::En, 1) => "1 try left".to_owned(),
        (Lang::En, n) => format!("{n} tries left"),
    }
}

/// The label of a field.
#[must_use]
pub fn card_field_label(lang: Lang, field: CardField) -> &'static str {
    match (lang, field) {
        (Lang::Fr, CardField::Can) => "Numéro d'accès à la carte (CAN)",
        (Lang::En, CardField::Can) => "Card access number (CAN)",
        (Lang::Fr, CardField::Pin) => "Code PIN",
        (Lang::En, CardField::Pin) => "PIN",
        (Lang::Fr, CardField::Puk) => "Code PUK",
        (Lang::En, CardField::Puk) => "PUK",
        (Lang::Fr, CardField::NewPin) => "Nouveau code PIN",
        (Lang::En, CardField::NewPin) => "New PIN",
        (Lang::Fr, CardField::NewPinConfirm) => "Confirmez le nouveau code PIN",
        (Lang::En, CardField::NewPinConfirm) => "Confirm the new PIN",
    }
}

/// The hint under a field's label.
#[must_use]
pub fn card_field_hint(lang: Lang, field: CardField) -> &'static str {
    match (lang, field) {
        (Lang::Fr, CardField::Can) => {
            "Les 6 chiffres imprimés au recto de la carte, en bas à droite."
        }
        (Lang::En, CardField::Can) => {
            "The 6 digits printed on the front of the card, bottom right."
        }
        (Lang::Fr, CardField::Pin) => "Les 4 chiffres de votre code personnel.",
        (Lang::En, CardField::Pin) => "The 4 digits of your personal code.",
        (Lang::Fr, CardField::Puk) => "Les 8 chiffres du courrier reçu avec votre carte.",
        (Lang::En, CardField::Puk) => "The 8 digits of the letter you received with your card.",
        (Lang::Fr, CardField::NewPin) => "4 chiffres, que vous seul connaissez.",
        (Lang::En, CardField::NewPin) => "4 digits that only you know.",
        (Lang::Fr, CardField::NewPinConfirm) => "Saisissez-le une seconde fois.",
        (Lang::En, CardField::NewPinConfirm) => "Type it a second time.",
    }
}

/// The error of a field that does not hold what it must.
#[must_use]
pub fn card_field_error(lang: Lang, field: CardField) -> &'static str {
    match (lang, field) {
        (Lang::Fr, CardField::Can) => "Saisissez les 6 chiffres du numéro d'accès à la carte.",
        (Lang::En, CardField::Can) => "Type the 6 digits of the card access number.",
        (Lang::Fr, CardField::Pin) => "Saisissez votre code PIN à 4 chiffres.",
        (Lang::En, CardField::Pin) => "Type your 4-digit PIN.",
        (Lang::Fr, CardField::Puk) => "Saisissez les 8 chiffres du code PUK.",
        (Lang::En, CardField::Puk) => "Type the 8 digits of the PUK.",
        (Lang::Fr, CardField::NewPin) => "Choisissez un nouveau code PIN de 4 chiffres.",
        (Lang::En, CardField::NewPin) => "Choose a new 4-digit PIN.",
        (Lang::Fr, CardField::NewPinConfirm) => "Les deux codes PIN saisis ne sont pas identiques.",
        (Lang::En, CardField::NewPinConfirm) => "The two PINs typed are not the same.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBLEMS: [CardProblem; 13] = [
        CardProblem::NoService,
        CardProblem::NoReader,
        CardProblem::NoCard,
        CardProblem::CardBusy,
        CardProblem::Timeout,
        CardProblem::NotAnIdCard,
        CardProblem::WrongCan,
        CardProblem::WrongPin { tries_left: 2 },
        CardProblem::WrongPin { tries_left: 1 },
        CardProblem::PinBlocked,
        CardProblem::WrongPuk { tries_left: 3 },
        CardProblem::WrongPuk { tries_left: 1 },
        CardProblem::PukBlocked,
    ];

    #[test]
    fn every_problem_speaks_both_languages() {
        for problem in PROBLEMS {
            let issue = CardIssue::Problem(problem);
            let fr = card_issue(Lang::Fr, &issue);
            let en = card_issue(Lang::En, &issue);
            assert_eq!(fr, problem.message_fr());
            assert!(!en.trim().is_empty() && en != fr, "{problem:?}");
        }
        assert!(
            card_issue(
                Lang::En,
                &CardIssue::Problem(CardProblem::WrongPin { tries_left: 2 })
            )
            .contains("2 tries")
        );
        // The provider's refusal is shown as it came.
        let refused = CardIssue::Refused("Votre carte a expiré.".into());
        assert_eq!(card_issue(Lang::En, &refused), "Votre carte a expiré.");
    }

    #[test]
    fn reader_statuses_name_the_reader() {
        let reader = || "Lecteur A".to_owned();
        for status in [
            ReaderStatus::NoCard(reader()),
            ReaderStatus::Present(reader()),
            ReaderStatus::Mute(reader()),
            ReaderStatus::InUse(reader()),
        ] {
            for lang in [Lang::Fr, Lang::En] {
                assert!(
                    reader_status(lang, &status).contains("Lecteur A"),
                    "{status:?}"
                );
            }
        }
        assert_eq!(
            reader_status(Lang::Fr, &ReaderStatus::NoCard(reader())),
            "Posez votre carte sur le lecteur Lecteur A."
        );
        assert!(reader_status(Lang::Fr, &ReaderStatus::NoReader).contains("Branchez un lecteur"));
        assert!(reader_status(Lang::Fr, &ReaderStatus::Unsupported).contains("NFC"));
        assert!(reader_status(Lang::Fr, &ReaderStatus::NoService).contains("pcscd"));
    }

    #[test]
    fn tries_agree_in_number() {
        assert_eq!(tries_left(Lang::Fr, 2), "2 essais restants");
        assert_eq!(tries_left(Lang::Fr, 1), "1 essai restant");
        assert_eq!(tries_left(Lang::En, 1), "1 try left");
        assert_eq!(tries_left(Lang::En, 3), "3 tries left");
    }

    #[test]
    fn every_field_has_a_label_a_hint_and_an_error() {
        for field in [
            CardField::Can,
            CardField::Pin,
            CardField::Puk,
            CardField::NewPin,
            CardField::NewPinConfirm,
        ] {
            for lang in [Lang::Fr, Lang::En] {
                for text in [
                    card_field_label(lang, field),
                    card_field_hint(lang, field),
                    card_field_error(lang, field),
                ] {
                    assert!(!text.trim().is_empty(), "{field:?}");
                }
            }
        }
        assert!(
            card_field_hint(Lang::Fr, CardField::Can)
                .contains("recto de la carte, en bas à droite")
        );
    }
}
