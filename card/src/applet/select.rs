//! SELECT: the applet by AID, then its files by identifier.

use super::files::File;
use super::{AID, VirtualCard};
use crate::apdu::{Command, Response};
use crate::status::StatusWord;
use crate::tlv;

/// P1: select by DF name (the AID).
const BY_NAME: u8 = 0x04;
/// P1: select an EF under the current DF by its identifier.
const EF_BY_ID: u8 = 0x02;
/// P2: return the FCI (applet) or the FCP (file).
const RETURN_FCI: u8 = 0x00;
/// P2: return the FCP.
const RETURN_FCP: u8 = 0x04;
/// P2: no response data.
const NO_DATA: u8 = 0x0C;

/// The application label in the FCI.
const LABEL: &[u8] = b"Pivot eID";

impl VirtualCard {
    pub(super) fn select(&mut self, command: &Command, secure: bool) -> Response {
        match command.p1 {
            BY_NAME => self.select_applet(command, secure),
            EF_BY_ID => self.select_file(command),
            _ => Response::status(StatusWord::WRONG_P1_P2),
        }
    }

    fn select_applet(&mut self, command: &Command, secure: bool) -> Response {
        if command.p2 != RETURN_FCI && command.p2 != NO_DATA {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        // Any SELECT by name starts a new session: selecting another
        // application deselects this one and ends its PACE channel;
        // selecting it again forgets the PIN (a protected SELECT keeps the
        // channel it came through).
        let channel = self.session.sm.take();
        self.session = Default::default();
        if command.data != AID {
            return Response::status(StatusWord::NOT_FOUND);
        }
        if secure {
            self.session.sm = channel;
        }
        self.session.selected = true;
        if command.p2 == NO_DATA {
            return Response::status(StatusWord::OK);
        }
        let mut fci = Vec::new();
        tlv::push(&mut fci, 0x84, &AID);
        tlv::push(&mut fci, 0x50, LABEL);
        Response::ok(tlv::encode(0x6F, &fci))
    }

    fn select_file(&mut self, command: &Command) -> Response {
        if !self.session.selected {
            return Response::status(StatusWord::NOT_FOUND);
        }
        if ![RETURN_FCI, RETURN_FCP, NO_DATA].contains(&command.p2) {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        let [hi, lo] = command.data[..] else {
            return Response::status(StatusWord::WRONG_LENGTH);
        };
        let Some(file) = File::from_id(u16::from_be_bytes([hi, lo])) else {
            return Response::status(StatusWord::NOT_FOUND);
        };
        self.session.current = Some(file);
        if command.p2 == NO_DATA {
            return Response::status(StatusWord::OK);
        }
        // FCP: size (80), descriptor (82: transparent working EF), identifier (83).
        let size = self.file_bytes(file).len() as u16;
        let mut fcp = Vec::new();
        tlv::push(&mut fcp, 0x80, &size.to_be_bytes());
        tlv::push(&mut fcp, 0x82, &[0x01]);
        tlv::push(&mut fcp, 0x83, &file.id().to_be_bytes());
        Response::ok(tlv::encode(0x62, &fcp))
    }

    pub(super) fn file_bytes(&self, file: File) -> &[u8] {
        match file {
            File::Identity => &self.content.identity,
            File::CardCert => &self.content.card_certificate,
            File::IssuerCert => &self.content.issuer_certificate,
            File::IdentitySig => &self.content.identity_signature,
            File::CardAccess => &self.card_access,
        }
    }
}
