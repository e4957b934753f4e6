// SPDX-License-Identifier: Apache-2.0
'use strict';
// Integration tokens as docs/tokens.md describes them: onep_ + 8 characters
// of routing tag + 32 random + 6 of checksum (CRC32 of the rest, base62, most
// significant digit first). Checked offline, so that a mistyped token costs
// no Redis call; Redis only ever sees the token's SHA-256.

const crypto = require('node:crypto');
const zlib = require('node:zlib');

const TOKEN_PATTERN = /^onep_[0-9A-Za-z]{46}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_CHARS = 6;
const TAG_START = 5;
const TAG_END = 13;

function encodeChecksum(crc) {
  let out = '';
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = BASE62[crc % 62] + out;
    crc = Math.floor(crc / 62);
  }
  return out;
}

// The token of an Authorization header value: undefined when there is no
// Bearer token at all (missing_token), else the string after the scheme.
function bearerToken(header) {
  if (typeof header !== 'string') return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = header.slice(space + 1).trim();
  return token === '' ? undefined : token;
}

// { tag, hash } of a well-formed token with a valid checksum, else null.
// (Tokens from before routing tags, 43 characters, are not served here.)
function checkToken(token) {
  if (!TOKEN_PATTERN.test(token)) return null;
  const signed = token.slice(0, token.length - CHECKSUM_CHARS);
  if (encodeChecksum(zlib.crc32(signed)) !== token.slice(signed.length)) return null;
  return {
    tag: token.slice(TAG_START, TAG_END),
    hash: crypto.createHash('sha256').update(token).digest('hex'),
  };
}

module.exports = { bearerToken, checkToken };
