"""Documents attached to a case, safe to accept from outside and stored encrypted.

- `receiving`: the multipart upload read as a stream, never whole in memory, with its size cap;
- `kinds`: the file's type from its first bytes (magic numbers) against an allow-list;
- `scanner`: ClamAV's `clamd`, fed the file as it arrives (INSTREAM);
- `sealing`: the file sealed chunk by chunk with the case's data key;
- `objects`: where sealed files are kept, a local directory or an S3-compatible bucket;
- `store` and `service`: the attachment records, uploads, downloads and erasure;
- `http`: what every service's routes share (the upload form, the download response).

Services decide who may attach to and read a case; this package does the rest the same way
for all of them.
"""
