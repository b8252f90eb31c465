import { expect } from 'chai';
import supertest from 'supertest';
import { testEnv } from '../support/root-hooks.js';

describe('GET /healthz', () => {
  it('answers ok with the kind of database once it answers', async () => {
    const res = await supertest(testEnv().app).get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok', database: testEnv().db.kind });
  });
});
