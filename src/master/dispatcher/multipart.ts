/** One part of a multipart/form-data body. */
export interface FormPart {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

/** Parses a multipart/form-data body (RFC 7578); throws on a body that does not match its boundary. */
export function parseMultipart(body: Buffer, contentType: string | undefined): FormPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!contentType?.toLowerCase().startsWith('multipart/form-data') || !match) {
    throw new Error('Expected a multipart/form-data request with a boundary.');
  }
  const delimiter = Buffer.from(`--${match[1] ?? match[2]}`);
  const parts: FormPart[] = [];
  let position = body.indexOf(delimiter);
  if (position < 0) throw new Error('The multipart body does not contain its boundary.');
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') break;
    position += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) throw new Error('A multipart part has no header end.');
    const headers = body.subarray(position, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next < 0) throw new Error('A multipart part is not terminated by the boundary.');
    const data = body.subarray(headerEnd + 4, next - 2); // the CRLF before the delimiter belongs to it
    const disposition = headers.find((h) => h.toLowerCase().startsWith('content-disposition:')) ?? '';
    const type = headers.find((h) => h.toLowerCase().startsWith('content-type:'));
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '',
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1],
      contentType: type?.slice(type.indexOf(':') + 1).trim(),
      data,
    });
    position = next;
  }
  return parts;
}
