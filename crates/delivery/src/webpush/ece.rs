//! Web Push message encryption (RFC 8291) in the `aes128gcm` content coding (RFC 8188): the
//! body a push service relays, which only the subscribed browser can read.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;

/// Record size announced in the header. One record carries the whole message.
pub const RECORD_SIZE: u32 = 4096;
const TAG_LEN: usize = 16;
/// salt (16) + rs (4) + idlen (1) + the sender's uncompressed public key (65).
pub const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// Push services accept 4096 bytes of body (RFC 8030 section 7.2), header included, so this
/// is the most plaintext a message may carry: the body minus header, tag and delimiter.
pub const MAX_PLAINTEXT: usize = 4096 - HEADER_LEN - TAG_LEN - 1;
/// The delimiter that ends the last (here the only) record, before any padding.
const LAST_RECORD: u8 = 0x02;

/// Encrypts `plaintext` for a subscription's `p256dh` key and `auth` secret, with a fresh
/// ephemeral key and salt.
pub fn encrypt(plaintext: &[u8], ua_public: &[u8], auth: &[u8]) -> Result<Vec<u8>, String> {
    let sender = SecretKey::random(&mut rand::rngs::OsRng);
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    encrypt_with(plaintext, ua_public, auth, &sender, &salt)
}

/// [`encrypt`] with the ephemeral key and salt given, so the RFC's example can be replayed.
pub fn encrypt_with(
    plaintext: &[u8],
    ua_public: &[u8],
    auth: &[u8],
    sender: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, String> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(format!(
            "push payload of {} bytes exceeds {MAX_PLAINTEXT}",
            plaintext.len()
        ));
    }
    if auth.len() != 16 {
        return Err("push auth secret must be 16 bytes".into());
    }
    let ua = parse_public_key(ua_public)?;
    let as_public = sender.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), ua.as_affine());

    // RFC 8291 section 3.3: the auth secret and both public keys bind the shared secret.
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|e| e.to_string())?;

    // RFC 8188 section 2.2 and 2.3: content-encryption key and nonce from the salt.
    let hk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    hk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|_| hk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|e| e.to_string())?;

    // One record, sequence number 0, so the nonce is used as derived. No padding beyond
    // the delimiter: messages are short and their length is not a secret worth 4 KB.
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(LAST_RECORD);
    let sealed = Aes128Gcm::new_from_slice(&cek)
        .map_err(|e| e.to_string())?
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|e| e.to_string())?;

    let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
    out.extend_from_slice(salt);
    out.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    out.push(65);
    out.extend_from_slice(as_public.as_bytes());
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// A browser's `p256dh` key: an uncompressed P-256 point (65 bytes, 0x04 first) on the curve.
pub fn parse_public_key(raw: &[u8]) -> Result<PublicKey, String> {
    if raw.len() != 65 || raw[0] != 0x04 {
        return Err("p256dh must be an uncompressed P-256 point (65 bytes)".into());
    }
    PublicKey::from_sec1_bytes(raw).map_err(|_| "p256dh is not a point on P-256".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    // RFC 8291 section 5 and Appendix A: the example message and every input to it.
    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const MESSAGE: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    #[test]
    fn reproduces_the_rfc_8291_example_byte_for_byte() {
        let sender = SecretKey::from_slice(&b64(AS_PRIVATE)).unwrap();
        assert_eq!(
            sender.public_key().to_encoded_point(false).as_bytes(),
            b64(AS_PUBLIC).as_slice()
        );
        let salt: [u8; 16] = b64(SALT).try_into().unwrap();
        let got = encrypt_with(
            PLAINTEXT.as_bytes(),
            &b64(UA_PUBLIC),
            &b64(AUTH),
            &sender,
            &salt,
        )
        .unwrap();
        assert_eq!(got, b64(MESSAGE));
    }

    #[test]
    fn fresh_key_and_salt_every_time() {
        let a = encrypt(b"x", &b64(UA_PUBLIC), &b64(AUTH)).unwrap();
        let b = encrypt(b"x", &b64(UA_PUBLIC), &b64(AUTH)).unwrap();
        assert_eq!(a.len(), HEADER_LEN + 1 + 1 + TAG_LEN);
        assert_ne!(a[..16], b[..16], "salt reused");
        assert_ne!(a[21..86], b[21..86], "ephemeral key reused");
        assert_eq!(&a[16..21], &[0, 0, 0x10, 0, 65]);
    }

    #[test]
    fn refuses_bad_keys_and_oversized_messages() {
        let ua = b64(UA_PUBLIC);
        let auth = b64(AUTH);
        assert!(encrypt(&vec![b'a'; MAX_PLAINTEXT], &ua, &auth).is_ok());
        assert!(encrypt(&vec![b'a'; MAX_PLAINTEXT + 1], &ua, &auth).is_err());
        assert!(encrypt(b"x", &ua, &auth[..15]).is_err());
        assert!(encrypt(b"x", &ua[..64], &auth).is_err());
        let mut off_curve = ua.clone();
        off_curve[64] ^= 1;
        assert!(encrypt(b"x", &off_curve, &auth).is_err());
    }
}
