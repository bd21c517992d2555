//! VAPID (RFC 8292): the deployment's P-256 key pair, created on first run and kept in the
//! settings table so every process signs with the same key, and the ES256 JWT that tells a
//! push service who is sending.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use kernel::tenancy::entity::setting;

const SETTING: &str = "secret.vapid";
/// JWT lifetime. RFC 8292 allows at most 24 hours; 12 leaves room for clock drift.
pub const JWT_SECONDS: i64 = 12 * 3600;
const _: () = assert!(
    JWT_SECONDS <= 24 * 3600,
    "RFC 8292 section 2: at most 24 hours"
);

pub struct Vapid {
    key: SigningKey,
    public_b64: String,
}

impl Vapid {
    pub fn from_secret(bytes: &[u8]) -> Result<Vapid, String> {
        let key = SigningKey::from_slice(bytes).map_err(|_| "invalid VAPID key".to_owned())?;
        let public = key.verifying_key().to_encoded_point(false);
        Ok(Vapid {
            public_b64: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            key,
        })
    }

    /// The deployment's key; created and stored on first use. Changing it would invalidate
    /// every browser's subscription, so it is never replaced.
    pub async fn load_or_create(db: &impl ConnectionTrait) -> anyhow::Result<Vapid> {
        if let Some(s) = setting::Entity::find_by_id(SETTING.to_owned())
            .one(db)
            .await?
        {
            return Self::from_hex(&s.value);
        }
        let fresh = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let hex_key = hex::encode(fresh.to_bytes());
        let res = setting::ActiveModel {
            key: Set(SETTING.into()),
            value: Set(hex_key.clone()),
        }
        .insert(db)
        .await;
        if res.is_err() {
            // Another process created it first; use theirs.
            let s = setting::Entity::find_by_id(SETTING.to_owned())
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("VAPID key missing"))?;
            return Self::from_hex(&s.value);
        }
        Self::from_hex(&hex_key)
    }

    fn from_hex(s: &str) -> anyhow::Result<Vapid> {
        Self::from_secret(&hex::decode(s)?).map_err(|e| anyhow::anyhow!(e))
    }

    /// The public key as the browser's `applicationServerKey` wants it: the uncompressed
    /// point, base64url without padding.
    pub fn public_key(&self) -> &str {
        &self.public_b64
    }

    /// The `Authorization` header for a request to `endpoint`, valid from `now` (Unix time).
    pub fn authorization(&self, endpoint: &str, subject: &str, now: i64) -> Result<String, String> {
        let claims = serde_json::json!({
            "aud": audience(endpoint)?,
            "exp": now + JWT_SECONDS,
            "sub": subject,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // JWS ES256 wants the raw r || s (64 bytes), which is this type's fixed encoding.
        let sig: Signature = self.key.sign(signing_input.as_bytes());
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(sig.to_bytes()),
            self.public_b64
        ))
    }
}

/// The JWT audience: the origin of the push resource (scheme, host and a non-default port).
pub fn audience(endpoint: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(endpoint).map_err(|e| format!("endpoint: {e}"))?;
    let origin = url.origin();
    if origin.is_tuple() {
        Ok(origin.ascii_serialization())
    } else {
        Err("endpoint has no origin".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn audience_is_the_origin() {
        assert_eq!(
            audience("https://fcm.googleapis.com/fcm/send/abc:def").unwrap(),
            "https://fcm.googleapis.com"
        );
        assert_eq!(
            audience("http://127.0.0.1:4567/push/x?y=1").unwrap(),
            "http://127.0.0.1:4567"
        );
        assert_eq!(
            audience("https://push.example.net:443/p").unwrap(),
            "https://push.example.net"
        );
        assert!(audience("not a url").is_err());
    }

    #[test]
    fn jwt_is_es256_signed_with_the_advertised_key() {
        let v = Vapid::from_secret(&[7u8; 32]).unwrap();
        let h = v
            .authorization(
                "https://push.example.net/p/1",
                "mailto:ops@example.net",
                1_000,
            )
            .unwrap();
        let rest = h.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        assert_eq!(k, v.public_key());
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let key = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
        key.verify(input.as_bytes(), &sig).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split_once('.').unwrap().1)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_000 + JWT_SECONDS);
        assert_eq!(claims["sub"], "mailto:ops@example.net");
        // A different message does not verify: the check above can fail.
        assert!(key.verify(b"other", &sig).is_err());
    }
}
