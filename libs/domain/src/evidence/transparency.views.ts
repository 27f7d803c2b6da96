import type { BundleKey } from './bundle.js';

/** `GET /api/v1/transparency/head`: the latest (or a given size's) signed tree head. */
export interface TransparencyHeadView {
  origin: string;
  treeSize: number;
  /** base64 */
  rootHash: string;
  keyId: string;
  /** The signed note (c2sp.org/tlog-checkpoint). */
  checkpoint: string;
  signedAt: string;
  /** The log's public keys this daemon knows (its signing key first). */
  keys: BundleKey[];
}

/** `GET /api/v1/transparency/proof/inclusion`. */
export interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
  receipt: unknown;
}

/** `GET /api/v1/transparency/proof/consistency`. */
export interface ConsistencyProofView {
  from: number;
  to: number;
  proof: string[];
}
