// Uploads go through urql like every other mutation: its fetchExchange sends a File variable as a
// GraphQL multipart request, and the cache rules (lib/cache.ts) see the answer, so no screen
// re-reads by hand. Only the transport differs: XMLHttpRequest reports the bytes sent, which fetch
// cannot. Pass it as the mutation's `fetch` context. The bearer token urql sends also satisfies
// the server's CSRF rule for multipart requests.

/** A fetch that reports upload progress (0..1); urql reads the answer as from fetch. */
export function fetchWithUploadProgress(onProgress: (fraction: number) => void): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(init.method ?? "POST", input instanceof Request ? input.url : String(input));
      for (const [name, value] of new Headers(init.headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onload = () =>
        resolve(
          new Response(xhr.responseText, {
            status: xhr.status,
            statusText: xhr.statusText,
            headers: { "content-type": xhr.getResponseHeader("content-type") ?? "application/json" },
          }),
        );
      xhr.onerror = () => reject(new TypeError("The upload failed: the connection was lost."));
      xhr.onabort = () => reject(new DOMException("Upload cancelled.", "AbortError"));
      init.signal?.addEventListener("abort", () => xhr.abort());
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}
