// @ts-check
// Every page of a list of `total` items, read a few pages at a time ("select all results": 100 pages took 1.7 s
// one after another, 1.0 s four at a time); the first failure stops them all and
// is thrown.

/** new-api's page size cap for token lists; also the page size used to collect a whole result set. */
export const MAX_PAGE_SIZE = 100;
/** Pages read at once. */
const CONCURRENCY = 4;

/**
 * Reads pages 1… of `total` items, `size` a page, through `fetchPage(page, size)`, handing each page's items to
 * `onItems` as it comes (pages may come out of order).
 * @template T
 * @param {number} total
 * @param {number} size
 * @param {(page: number, size: number) => Promise<T[]>} fetchPage
 * @param {(items: T[]) => void} onItems
 */
export async function everyPage(total, size, fetchPage, onItems) {
  const pages = Math.ceil(total / size);
  let next = 1;
  let failed = false;
  const worker = async () => {
    while (!failed && next <= pages) {
      const page = next++;
      try {
        onItems(await fetchPage(page, size));
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.min(CONCURRENCY, pages) }, worker);
  const failure = (await Promise.allSettled(workers)).find((outcome) => outcome.status === "rejected");
  if (failure) throw failure.reason;
}
