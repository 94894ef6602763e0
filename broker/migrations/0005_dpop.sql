-- DPoP (RFC 9449): the thumbprint of the key an access token is bound to.
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
