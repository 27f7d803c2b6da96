import { Controller, Get, Param, Query } from '@nestjs/common';
import type { BeaconConfig } from '@beacon/domain';
import type { z } from 'zod';
import { ApiError } from '../api/api-error.js';
import { jobIdParam, noQuery, query, Refusal, single, ValidInput, type Check } from '../api/edge-input.js';
import { PublicIf } from '../auth/roles.decorator.js';
import { TransparencyService } from './transparency.service.js';

const treeSize: Check<number> = (v) =>
  /^\d{1,15}$/.test(v) ? Number(v) : new Refusal('must be a tree size: a non-negative integer of at most 15 digits');
/** A leaf by index (decimal) or by its leaf hash (64 hex digits). */
const leafRef: Check<{ index: number } | { hash: Buffer }> = (v) =>
  /^\d{1,15}$/.test(v)
    ? { index: Number(v) }
    : /^[0-9a-fA-F]{64}$/.test(v)
      ? { hash: Buffer.from(v, 'hex') }
      : new Refusal('must be a leaf index or a leaf hash (64 hex digits)');

const headQuery = query({ size: single(treeSize) });
const inclusionQuery = query({ leaf: single(leafRef), size: single(treeSize) });
const consistencyQuery = query({ from: single(treeSize), to: single(treeSize) });

const publicRead = (c: BeaconConfig) => c.transparency?.publicRead === true;

const b64 = (b: Buffer) => b.toString('base64');

/** The evidence log: signed tree heads, inclusion and consistency proofs (viewer, or anyone with `publicRead`). */
@Controller('api/v1/transparency')
@PublicIf(publicRead)
export class TransparencyController {
  constructor(private readonly svc: TransparencyService) {}

  @Get('head')
  async head(@Query(new ValidInput(headQuery)) q: z.output<typeof headQuery>) {
    const h = await this.svc.head(q.size);
    return {
      origin: h.origin,
      treeSize: h.treeSize,
      rootHash: b64(h.rootHash),
      keyId: h.keyId,
      checkpoint: h.note,
      signedAt: h.signedAt.toISOString(),
      keys: this.svc.keys.publicKeys,
    };
  }

  @Get('proof/inclusion')
  async inclusion(@Query(new ValidInput(inclusionQuery)) q: z.output<typeof inclusionQuery>) {
    if (!q.leaf) throw new ApiError(400, 'invalid_parameter', 'leaf is required', [{ path: 'leaf', message: 'is required' }]);
    const leaf = await this.svc.repo.leaf(q.leaf);
    if (!leaf) throw new ApiError(404, 'leaf_not_found', 'no such leaf in the log', [{ path: 'leaf', message: 'not in the log' }]);
    const head = await this.svc.head(q.size);
    if (leaf.leafIndex >= head.treeSize) {
      throw new ApiError(400, 'invalid_parameter', `leaf ${leaf.leafIndex} is not in the tree of ${head.treeSize} leaves`, [
        { path: 'size', message: `must be greater than the leaf index ${leaf.leafIndex}` },
      ]);
    }
    const proof = await this.svc.repo.inclusionProof(leaf.leafIndex, head.treeSize);
    return {
      leafIndex: leaf.leafIndex,
      treeSize: head.treeSize,
      leafHash: leaf.leafHash.toString('hex'),
      proof: proof.map(b64),
      checkpoint: head.note,
      receipt: JSON.parse(leaf.receipt.toString('utf8')) as unknown,
    };
  }

  @Get('proof/consistency')
  async consistency(@Query(new ValidInput(consistencyQuery)) q: z.output<typeof consistencyQuery>) {
    const to = q.to ?? (await this.svc.head()).treeSize;
    const from = q.from;
    if (from === undefined) throw new ApiError(400, 'invalid_parameter', 'from is required', [{ path: 'from', message: 'is required' }]);
    if (from > to) {
      throw new ApiError(400, 'invalid_parameter', `from (${from}) must not exceed to (${to})`, [
        { path: 'from', message: 'must be ≤ to' },
      ]);
    }
    const size = await this.svc.repo.size();
    if (to > size)
      throw new ApiError(400, 'invalid_parameter', `the log has ${size} leaves`, [{ path: 'to', message: `must be ≤ ${size}` }]);
    const proof = await this.svc.repo.consistencyProof(from, to);
    return { from, to, proof: proof.map(b64) };
  }
}

/** A job's evidence bundle (viewer): see `beacon export`. */
@Controller('api/v1/jobs')
export class BundleController {
  constructor(private readonly svc: TransparencyService) {}

  @Get(':id/bundle')
  bundle(@Param('id', new ValidInput(jobIdParam)) id: string, @Query(new ValidInput(noQuery)) _q: unknown) {
    return this.svc.bundle(id);
  }
}
