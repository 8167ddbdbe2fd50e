/**
 * Says which document a failed `find()` could not load from storage. automerge-repo rejects a
 * `find()` of a document whose stored chunks do not parse with automerge's own error ("RangeError:
 * unable to parse chunk: ..."), which names neither the document nor where it is kept, and reads as
 * if the data were gone. It is not: nothing deletes or rewrites those chunks.
 */
import { DocumentUnreadableError } from './errors.ts'
import type { DocumentId, Repo } from '@automerge/automerge-repo'

/**
 * `err` from a `find()` of `documentId`, or a `DocumentUnreadableError` when loading the document
 * from `repo`'s storage fails: called only once a find failed, so loading again costs nothing on
 * the way that works.
 */
export async function explainUnreadable (repo: Repo, documentId: DocumentId, err: unknown): Promise<unknown> {
  if (repo.storageSubsystem == null) {
    return err
  }

  try {
    await repo.storageSubsystem.loadDoc(documentId)
    return err
  } catch (loadErr: any) {
    return new DocumentUnreadableError(`Document automerge:${documentId} is in storage but cannot be read (${String(loadErr?.message ?? loadErr)}); its stored data is left as it is`)
  }
}
