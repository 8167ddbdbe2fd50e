/**
 * `doc change` changes (src/cli/doc-changes.ts) on real automerge documents: `path=value` makes
 * lists for numeric segments, JSON Patch follows RFC 6902 / RFC 6901, and a bad change applies
 * nothing (issue 14, defect 4).
 */
import * as A from '@automerge/automerge'
import { expect } from 'aegir/chai'
import { applyDocChange, parseDocChanges, planDocChanges } from '../src/cli/doc-changes.ts'

/**
 * What `doc change` does: plan on a copy, then apply in one automerge change.
 */
function change (doc: A.Doc<any>, ...args: string[]): A.Doc<any> {
  const changes = parseDocChanges(args)
  planDocChanges(doc, changes)
  return A.change(doc, d => { changes.forEach(c => { applyDocChange(d, c) }) })
}

function refused (doc: A.Doc<any>, ...args: string[]): Error {
  try {
    change(doc, ...args)
  } catch (err: any) {
    return err
  }

  throw new Error(`${args.join(' ')} was accepted`)
}

describe('doc change: path=value and JSON Patch', () => {
  it('makes a list for a numeric segment on a document without it', () => {
    const doc = change(A.from<any>({}), 'items.0.done=true')
    expect(A.toJS(doc)).to.deep.equal({ items: [{ done: true }] })
    const more = change(doc, 'items.1.title=milk', 'items.-.title=eggs', 'tags.-=a')
    expect(A.toJS(more)).to.deep.equal({ items: [{ done: true }, { title: 'milk' }, { title: 'eggs' }], tags: ['a'] })
  })

  it('appends with /items/- to the list made before, not a key named "-"', () => {
    const doc = change(A.from<any>({}), 'items.0.done=false', '{"op":"add","path":"/items/-","value":{"title":"milk"}}')
    expect(A.toJS(doc)).to.deep.equal({ items: [{ done: false }, { title: 'milk' }] })
  })

  it('refuses a path that is not a JSON Pointer and leaves the document as it was', () => {
    const doc = A.from<any>({ items: [{ title: 'milk' }] })
    const err = refused(doc, '{"op":"replace","path":"items","value":[]}')
    expect(err).to.have.property('name', 'UsageError')
    expect(err.message).to.include('not a JSON Pointer')
    expect(A.toJS(doc)).to.deep.equal({ items: [{ title: 'milk' }] })
  })

  it('applies a patch whole or not at all', () => {
    const doc = A.from<any>({ items: [{ title: 'milk' }] })
    const patch = JSON.stringify([
      { op: 'add', path: '/items/-', value: { title: 'eggs' } },
      { op: 'remove', path: '/items/7' }
    ])
    const err = refused(doc, patch)
    expect(err.message).to.include('out of range').and.to.include('nothing was changed')
    expect(A.toJS(doc)).to.deep.equal({ items: [{ title: 'milk' }] })

    const failedTest = refused(doc, '[{"op":"test","path":"/items/0/title","value":"bread"},{"op":"remove","path":"/items"}]')
    expect(failedTest.message).to.include('is not "bread"')
  })

  it('does every RFC 6902 operation, with RFC 6901 escapes', () => {
    const doc = A.from<any>({ 'a/b': 1, 'c~d': 2, list: [1, 2, 3] })
    const next = change(doc, JSON.stringify([
      { op: 'test', path: '/a~1b', value: 1 },
      { op: 'replace', path: '/c~0d', value: 3 },
      { op: 'copy', from: '/list', path: '/copied' },
      { op: 'move', from: '/list/0', path: '/list/2' },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/a~1b' }
    ]))
    expect(A.toJS(next)).to.deep.equal({ 'c~d': 3, list: [0, 2, 3, 1], copied: [1, 2, 3] })
  })

  it('refuses malformed operations before looking at the document', () => {
    for (const bad of [
      '{"op":"frobnicate","path":"/a"}',
      '{"op":"add","path":"/a"}',
      '{"op":"move","path":"/a"}',
      '{"op":"add","path":"/a~2","value":1}',
      '{"path":"/a"}',
      'a..b=1',
      '.a=1'
    ]) {
      expect(() => parseDocChanges([bad]), bad).to.throw().with.property('name', 'UsageError')
    }
  })

  it('refuses an index that is not the next free one, and a replace of what is not there', () => {
    const doc = A.from<any>({ items: [] })
    expect(refused(doc, 'items.3.title=x').message).to.include('out of range')
    expect(refused(doc, '{"op":"replace","path":"/owner","value":"ann"}').message).to.include('does not exist')
    expect(refused(doc, '{"op":"add","path":"/missing/child","value":1}').message).to.include('/missing does not exist')
  })
})
