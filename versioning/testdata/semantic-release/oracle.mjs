// Regenerates expected.json from cases.json with semantic-release's own
// commit analyzer, so that the Go tests compare Slipway's semantic-release
// preset with the real thing, not with our reading of it:
//
//   cd "$(mktemp -d)" && cp $SLIPWAY/versioning/testdata/semantic-release/oracle.mjs .
//   npm install @semantic-release/commit-analyzer@13.0.1   (angular 8.3.1,
//       conventional-commits-parser 6.4.0, conventional-commits-filter 5.0.0)
//   node oracle.mjs $SLIPWAY/versioning/testdata/semantic-release/cases.json \
//       > $SLIPWAY/versioning/testdata/semantic-release/expected.json
//
// For each case: the release type analyzeCommits returns for its commits
// (newest first, as semantic-release reads them), or the error it throws,
// and how the parser reads each message.
//
// With --parse FILE (a JSON list of messages) it prints instead how the
// parser reads each message; parser-combinations.json holds 600 messages
// made by joining, with \n or \r\n, one to seven lines drawn at random
// from revert headers, hash lines, notes, meta-field lines, references, gpg
// lines and odd blanks, each with that reading.
import { readFileSync } from 'node:fs'
import { analyzeCommits } from '@semantic-release/commit-analyzer'
import { CommitParser } from 'conventional-commits-parser'
import angular from 'conventional-changelog-angular'

const parser = new CommitParser((await angular()).parser)
const logger = { log() {}, error() {} }

function parse(message) {
  if (!message.trim()) return { skipped: true }
  try {
    const p = parser.parse(message)
    return { header: p.header, type: p.type ?? null, scope: p.scope ?? null, notes: p.notes.length, revert: p.revert, isRevert: !!p.revert }
  } catch (e) {
    return { throws: true }
  }
}

if (process.argv[2] === '--parse') {
  const messages = JSON.parse(readFileSync(process.argv[3], 'utf8'))
  const out = messages.map((message) => ({ message, parsed: parse(message.trim()) }))
  process.stdout.write(JSON.stringify(out, null, 0) + '\n')
  process.exit(0)
}

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const out = []
for (const c of cases) {
  // semantic-release trims every message (lib/git.js getCommits).
  const commits = c.commits.map(({ hash, message }) => ({ hash, message: message.trim() }))
  let release = null
  let error = null
  try {
    release = await analyzeCommits({}, { cwd: process.cwd(), commits, logger })
  } catch (e) {
    error = String(e.message || e)
  }
  const parsed = commits.map(({ message }) => parse(message))
  out.push({ name: c.name, release, error: error !== null, parsed })
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n')
