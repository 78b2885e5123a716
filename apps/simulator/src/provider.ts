/** The provider name the simulator answers as. */
export const PROVIDER = 'Simulator';
