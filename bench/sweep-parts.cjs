/*
 * What binds the expiry sweep on MariaDB: the statements of one batch of the expiry job (the
 * locking read, the status UPDATEs of 1000 ids, the audit trail's INSERT ... SELECT), timed part by
 * part, with mariadbd's CPU time per token (from /proc, so run it on the database's machine) and
 * InnoDB's buffer pool reads per token. Bench-only, not part of `npm run bench`.
 *
 *   1. a database with the service's schema: start the service once on it
 *      (DATABASE_URL=mysql://root@127.0.0.1:3306/pat_sweep_parts ... node dist/src/main.js), stop it;
 *   2. 1M due tokens, ids ascending as the bench seeds them (MariaDB's Sequence engine, ~2 min):
 *      node bench/sweep-parts.cjs seed
 *   3. node bench/sweep-parts.cjs <variant> [batches=10] [batch size=3000], variant words:
 *      chunk (1000 ids per statement, as the job), noaudit, noupdate, plaincol (UPDATE a column no
 *      index holds instead of status), skip (SKIP LOCKED, for two at once). Each run uses up due tokens.
 */
const mysql = require('mysql2/promise');
const T = 'personal_access_tokens';
const variant = process.argv[2]; const batches = +process.argv[3] || 10; const size = +process.argv[4] || 3000;
(async () => {
  const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: process.env.SWEEP_DATABASE ?? 'pat_sweep_parts', timezone: 'Z' });
  const now = new Date();
  if (variant === 'seed') {
    await c.query(
      "INSERT INTO personal_access_tokens (id, user_id, name, name_key, digest, status, created_at, expires_at) " +
        "SELECT CONCAT('00000000-0000-4000-8000-', LPAD(HEX(seq), 12, '0')), CONCAT('10000000-0000-4000-8000-', LPAD(HEX(seq % 1000), 12, '0')), " +
        "CONCAT('filler-', seq), CONCAT('filler-', seq), SHA2(seq, 256), 'active', NOW(3) - INTERVAL 2 DAY, NOW(3) - INTERVAL 1 DAY FROM seq_1_to_1000000",
    );
    await c.end();
    return;
  }
  const stat = async () => Object.fromEntries((await c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_reads','Innodb_buffer_pool_read_requests','Innodb_data_written','Innodb_pages_written')"))[0].map((r) => [r.Variable_name, +r.Value]));
  const fs = require('fs'); const pid = require('child_process').execSync('pgrep -x mariadbd').toString().trim().split('\n')[0];
  const cpu = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (+f[11] + +f[12]) * 10; };
  const cpu0 = cpu();
  const before = await stat();
  let rows = 0; const t0 = Date.now(); const parts = {};
  const time = async (name, f) => { const t = process.hrtime.bigint(); const r = await f(); parts[name] = (parts[name] || 0) + Number(process.hrtime.bigint() - t) / 1e6; return r; };
  for (let b = 0; b < batches; b++) {
    await c.query('START TRANSACTION');
    const [sel] = await time('select', () => c.query(`SELECT id, user_id, name, expires_at FROM ${T} FORCE INDEX (IDX_pat_status_expires) WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE${variant.includes('skip') ? ' SKIP LOCKED' : ''}`, [now, size]));
    const ids = sel.map((r) => r.id);
    if (variant.includes('limitupdate')) await time('update', () => c.query(`UPDATE ${T} FORCE INDEX (IDX_pat_status_expires) SET status = 'expired' WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?`, [now, size]));
    const chunk = variant.includes('chunk') ? 1000 : size;
    for (let i = 0; i < ids.length; i += chunk) {
      const part = ids.slice(i, i + chunk);
      if (!variant.includes('noupdate')) await time('update', () => c.query(`UPDATE ${T} SET ${variant.includes('plaincol') ? "last_used_ip = 'x'" : "status = 'expired'"} WHERE status = 'active' AND id IN (${part.map(() => '?').join(',')})`, part));
      if (!variant.includes('noaudit')) await time('audit', () => c.query(
        `INSERT INTO audit_events (id, occurred_at, subject_user_id, token_id, token_name, auth_method, action, target_type, target_id, outcome, details) ` +
        `SELECT CONCAT(?, LPAD(LOWER(HEX(? + ROW_NUMBER() OVER ())), 12, '0')), ?, s.user_id, s.token_id, s.token_name, 'system', 'personal_access_token.expired', 'personal_access_token', s.token_id, 'success', s.details FROM ` +
        `(SELECT id AS token_id, user_id, name AS token_name, CONCAT('{"expiresAt":"', CONCAT(DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%s.'), LPAD(FLOOR(MICROSECOND(expires_at) / 1000), 3, '0'), 'Z'), '"}') AS details FROM ${T} WHERE id IN (${part.map(() => '?').join(',')})) s`,
        [Date.now().toString(16).padStart(12, '0').slice(0, 8) + '-' + Math.random().toString(16).slice(2, 6) + '-7abc-8def-', b * size + i, now, ...part]));
    }
    await time('commit', () => c.query('COMMIT'));
    rows += ids.length;
  }
  const s = (Date.now() - t0) / 1000;
  const after = await stat();
  console.log('mariadbd CPU', ((cpu() - cpu0) * 1000 / rows).toFixed(1), 'µs/row');
  console.log(Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k] - before[k]) / rows).toFixed(2) + '/row'])));
  console.log(variant, size, 'rows', rows, 'in', s.toFixed(2), 's =', Math.round(rows / s), 'rows/s', JSON.stringify(Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v)]))));
  await c.end();
})();
